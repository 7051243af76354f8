// NativeSession: native binary protocol frames in, typed response frames out, through the same
// Dispatcher and command table as RESP. Each opcode is translated into the command it stands for
// through its row of the opcode table (opcodes.h: command, payload shape, extra arguments, run
// mode), with no per-opcode code; the handler replies through a NativeWriter, and the reply is framed by the
// opcode's reply shape. docs/native-protocol.md is the contract.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "commands/command.h"
#include "commands/dispatch.h"
#include "native_proto/frame.h"
#include "native_proto/native_writer.h"
#include "server/session.h"

namespace kv {

class NativeSession final : public Session {
 public:
  NativeSession(Dispatcher& dispatcher, ClientState& client);
  Outcome Process(std::string_view in, size_t* consumed, std::string* out,
                  size_t out_soft_limit) override;
  size_t PendingHint() const override { return parser_.pending_hint(); }
  void AppendRefusal(std::string_view message, std::string* out) const override {
    native::AppendError(out, message);
  }

 private:
  // Runs one parsed request and appends its response frame. False: the command blocked (the
  // request stays unconsumed and is run again later).
  bool Run(const native::Request& req, std::string* out);
  // CALL: false when an argument was refused (its error frame is already in *out).
  bool RunCall(const native::Request& req, std::string* out);
  // MSET / MDEL: one command per item, the per-item results framed as one List.
  void RunPerItem(const native::Request& req, std::string* out);
  // Runs args (with native clients' typed values for some positions) and leaves the reply in
  // writer_.
  void Exec(std::vector<std::string> args, std::span<const TypedArg> typed = {});
  void Frame(const native::Request& req, std::string* out);

  Dispatcher& dispatcher_;
  ClientState& client_;
  native::FrameParser parser_;
  native::NativeWriter writer_;
};

}  // namespace kv
