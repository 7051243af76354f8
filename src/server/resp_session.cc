#include "server/resp_session.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

#include "commands/args.h"
#include "commands/blocking.h"
#include "commands/replication.h"
#include "commands/scripting.h"
#include "commands/tracking.h"
#include "core/value_encoding.h"
#include "persist/repl_stream.h"

namespace kv {

namespace {
// "POST" and "Host:" as a command name: what an HTTP request reads as, line by line.
bool IsHttpRequestLine(std::string_view name) {
  auto is = [&](std::string_view word) {
    return name.size() == word.size() &&
           std::equal(name.begin(), name.end(), word.begin(), [](char a, char b) {
             return std::tolower(static_cast<unsigned char>(a)) == b;
           });
  };
  return is("post") || is("host:");
}

resp::ParserLimits LimitsFrom(const Config& cfg, const ClientState& client) {
  resp::ParserLimits l;
  l.max_bulk_len = static_cast<size_t>(cfg.proto_max_bulk_len.load());
  l.unauthenticated = !client.authenticated;
  return l;
}
}  // namespace

RespSession::RespSession(Dispatcher& dispatcher, ClientState& client)
    : dispatcher_(dispatcher), client_(client),
      parser_(LimitsFrom(dispatcher.server().config, client)) {}

// CLIENT REPLY OFF / SKIP, as Redis's resetClient: a skip lasts for the one command after the
// CLIENT REPLY SKIP that asked for it.
void RespSession::DropReplyIfMuted(std::string* out, size_t reply_start) {
  if (client_.reply_off || client_.reply_skip) out->resize(reply_start);
  client_.reply_skip = client_.reply_skip_next;
  client_.reply_skip_next = false;
}

void RespSession::ExecuteTyped(ReplyBuilder& rb) {
  if (args_.size() < 3 || args_[1].size() != args_.size() - 2) {
    rb.SendError("ERR malformed KV.TYPED");
    return;
  }
  const std::string_view types = args_[1];
  const size_t n = types.size();
  typed_args_.assign(args_.begin() + 2, args_.end());
  typed_.clear();
  if (typed_texts_.size() < n) typed_texts_.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const uint8_t type = static_cast<uint8_t>(types[i] - '0');
    if (type == static_cast<uint8_t>(ScalarType::kBytes)) continue;
    ScalarView v;
    if (!KnownScalarType(type) || !ReadRawChecked(type, typed_args_[i], &v) ||
        (IsNested(v.type) && !IsWholeEncodedValue(v.bytes))) {
      rb.SendError("ERR malformed KV.TYPED argument");
      return;
    }
    // As the native session passes them: the canonical text in args (empty for nested values),
    // the typed value beside it.
    typed_texts_[i].clear();
    if (!IsNested(v.type)) {
      char buf[kScalarBufSize];
      typed_texts_[i].assign(CanonicalString(v, buf));
    }
    typed_args_[i] = typed_texts_[i];
    typed_.push_back({i, v});
  }
  dispatcher_.Execute(client_, typed_args_, rb, typed_);
}

Session::Outcome RespSession::Process(std::string_view in, size_t* consumed, std::string* out,
                                      size_t out_soft_limit) {
  resp::RespWriter writer(out);
  *consumed = 0;
  // A replica's link counts the stream it applied (its replication offset), at command
  // boundaries outside MULTI, as Redis: a transaction cut by a broken link is asked for again
  // whole.
  size_t applied = 0;
  auto count_applied = [&] {
    if (!client_.master || client_.tx.in_multi || *consumed == applied) return;
    dispatcher_.server().replication->MasterApplied(*consumed - applied);
    applied = *consumed;
  };
  while (*consumed < in.size() && out->size() <= out_soft_limit) {
    // Re-read per request: AUTH in a pipeline lifts the unauthenticated limits for the requests
    // after it, and CONFIG SET proto-max-bulk-len reaches connections already open.
    parser_.set_limits(LimitsFrom(dispatcher_.server().config, client_));
    size_t used = 0;
    const auto result = parser_.Parse(in.substr(*consumed), &used, &args_);
    if (result == resp::RequestParser::Result::kNeedMore) break;
    if (result == resp::RequestParser::Result::kError) {
      writer.set_resp3(client_.resp == 3);
      writer.SendError(fmt::format("ERR {}", parser_.error()));
      spdlog::debug("client {} ({}): {}; closing it", client_.id, client_.addr, parser_.error());
      return Outcome::kClose;
    }
    if (args_.empty()) {
      *consumed += used;
      count_applied();
      continue;
    }
    if (IsHttpRequestLine(args_[0])) {
      // A web page can make a browser send an HTTP request to a local port, with a RESP
      // command in its body. Redis closes such a connection without running anything, and so
      // does kv-server: nothing after the request line is read.
      spdlog::warn(
          "Possible SECURITY ATTACK detected. It looks like somebody is sending POST or Host: "
          "commands to kv-server. This is likely due to an attacker attempting to use Cross "
          "Protocol Scripting to compromise your kv-server instance. Connection from {} aborted.",
          client_.addr);
      return Outcome::kClose;
    }
    if (client_.master && ScriptBusy()) {
      // The primary's stream waits for a busy script here, retried every few milliseconds,
      // not inside the script's locks: its loop stays free for the SCRIPT KILL that ends it.
      client_.block_deadline_ms = blocking::kForever;
      return Outcome::kBlocked;
    }
    ClientPause& pause = dispatcher_.server().pause;
    if (pause.MaybeActive() &&
        pause.Holds(dispatcher_.server().commands.Find(args_[0]), args_, client_, NowMs()))
      return Outcome::kPaused;  // unconsumed: it runs when the pause ends
    writer.set_resp3(client_.resp == 3);
    if (client_.block_deadline_ms != 0 && NowMs() >= client_.block_deadline_ms)
      client_.block_timed_out = true;
    const size_t reply_start = out->size();
    if (client_.master && EqualsIgnoreCase(args_[0], persist::kTypedCommand))
      ExecuteTyped(writer);
    else
      dispatcher_.Execute(client_, args_, writer);
    if (client_.block_requested) {
      // Keep the request unconsumed: it runs again on the next retry.
      client_.block_requested = false;
      tracking::DeliverPending();
      return Outcome::kBlocked;
    }
    DropReplyIfMuted(out, reply_start);
    // Invalidations the request caused, its own client's after its reply (and kept by CLIENT
    // REPLY OFF, as Redis's pushes are).
    tracking::DeliverPending();
    client_.block_deadline_ms = 0;
    client_.block_timed_out = false;
    client_.block_on_acks = false;
    client_.blocked_owner.store(nullptr, std::memory_order_relaxed);
    *consumed += used;
    count_applied();
    if (client_.close_after_reply) return Outcome::kClose;
  }
  return Outcome::kOk;
}

}  // namespace kv
