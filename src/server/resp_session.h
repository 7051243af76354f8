// RespSession: RESP2/RESP3 requests in, replies out, through the shared Dispatcher.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "commands/command.h"
#include "commands/dispatch.h"
#include "resp/resp_parser.h"
#include "resp/resp_writer.h"
#include "server/session.h"

namespace kv {

class RespSession final : public Session {
 public:
  RespSession(Dispatcher& dispatcher, ClientState& client);
  Outcome Process(std::string_view in, size_t* consumed, std::string* out,
                  size_t out_soft_limit) override;
  size_t PendingHint() const override { return parser_.pending_hint(); }
  void AppendRefusal(std::string_view message, std::string* out) const override {
    out->append("-").append(message).append("\r\n");
  }

 private:
  void DropReplyIfMuted(std::string* out, size_t reply_start);
  // The replication stream's KV.TYPED <types> <raw args...> (persist/repl_stream.h): runs the
  // command with its typed arguments, as the primary's native client sent them.
  void ExecuteTyped(ReplyBuilder& rb);

  Dispatcher& dispatcher_;
  ClientState& client_;
  resp::RequestParser parser_;
  std::vector<std::string_view> args_;
  std::vector<std::string_view> typed_args_;
  std::vector<TypedArg> typed_;
  std::vector<std::string> typed_texts_;
};

}  // namespace kv
