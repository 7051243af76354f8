// PeerReader and SendAll over a socket pair: lines split across reads, sized blocks after a
// line, what was read past them, end of stream, a silent peer, an endless line.
#include "resp/peer_io.h"

#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

namespace kv::resp {
TEST_CASE("PeerReader: lines, a sized block and what follows, written in pieces") {
  int fds[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
  std::thread writer([fd = fds[1]] {
    for (std::string_view piece : {"+FULL", "RESYNC abc 7\r\n\r\n$1", "0\r\n0123", "456789REPL",
                                   "CONF GETACK *"}) {
      CHECK(SendAll(fd, piece, 5000));
      std::this_thread::yield();
    }
  });
  PeerReader in(fds[0], 5000);
  std::string line;
  REQUIRE(in.Line(&line));
  CHECK(line == "+FULLRESYNC abc 7");
  REQUIRE(in.Line(&line));
  CHECK(line.empty());
  REQUIRE(in.Line(&line));
  CHECK(line == "$10");
  std::string block;
  std::vector<size_t> progress;
  REQUIRE(in.Bytes(10, &block, [&](size_t n) { progress.push_back(n); }));
  CHECK(block == "0123456789");
  CHECK(!progress.empty());
  CHECK(progress.back() == 10);
  writer.join();
  // The reader may have taken more than the block: the rest belongs to whoever reads next.
  std::string rest = in.TakeRest();
  char more[64];
  while (rest.size() < 17) {
    const ssize_t n = ::recv(fds[0], more, sizeof more, 0);
    REQUIRE(n > 0);
    rest.append(more, static_cast<size_t>(n));
  }
  CHECK(rest == "REPLCONF GETACK *");
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST_CASE("PeerReader: end of stream, a silent peer and an endless line are failures") {
  int fds[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
  std::string line;
  {
    PeerReader in(fds[0], 50);
    CHECK_FALSE(in.Line(&line));  // nothing arrives within the timeout
  }
  {
    REQUIRE(SendAll(fds[1], std::string(70 * 1024, 'x'), 5000));
    PeerReader in(fds[0], 5000);
    CHECK_FALSE(in.Line(&line));  // 64 KiB and no line end
  }
  REQUIRE(SendAll(fds[1], "+OK", 5000));
  ::shutdown(fds[1], SHUT_WR);
  {
    PeerReader in(fds[0], 5000);
    CHECK_FALSE(in.Line(&line));  // the stream ended inside the line
    std::string block;
    CHECK_FALSE(in.Bytes(4, &block, [](size_t) {}));
  }
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST_CASE("SendAll: a peer that reads nothing stops it at the timeout, a closed one at once") {
  int fds[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
  const std::string big(8 << 20, 'y');  // more than the socket buffers hold
  CHECK_FALSE(SendAll(fds[1], big, 50));
  ::close(fds[0]);
  CHECK_FALSE(SendAll(fds[1], "+PING\r\n", 5000));
  ::close(fds[1]);
}

}  // namespace kv::resp
