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

  Dispatcher& dispatcher_;
  ClientState& client_;
  resp::RequestParser parser_;
  std::vector<std::string_view> args_;
};

}  // namespace kv
