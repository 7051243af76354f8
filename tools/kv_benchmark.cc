// kv-benchmark: redis-benchmark for the native protocol (docs/native-protocol.md).
//
//   kv-benchmark -h 127.0.0.1 -p 6380 -c 50 -n 100000 -P 16 -d 32 -r 100000 -t set,get --csv
//
// -c connections are spread over --threads threads; each thread drives its connections with
// non-blocking sockets and poll(), keeping -P requests in flight on each (a reply frees a slot
// that the next write refills). Request frames are built by src/native_proto (one template frame
// per test; with -r the 12 key digits are patched in place, the same length as redis-benchmark's
// `__rand_int__` placeholder). Latency, from the write of a request to the parse of its reply, is
// recorded in a log-linear histogram (1 µs resolution below 2048 µs, then 1024 sub-buckets per
// power of two, ~0.1% precision, up to 10 s); reported as avg/min/p50/p95/p99/p99.9/max.
// Output: a redis-benchmark-like summary, one line per test with -q, or redis-benchmark's CSV
// (`"test","rps","avg_latency_ms",...`) with --csv. Progress goes to stderr unless -q / --csv.
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "native_proto/frame.h"
#include "native_proto/opcodes.h"
#include "native_proto/value.h"

namespace {

using kv::native::Opcode;
using Clock = std::chrono::steady_clock;

uint64_t NowNs() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count());
}

// ---------------------------------------------------------------------------------------------
// Log-linear latency histogram in microseconds (HdrHistogram-style, 3 significant digits).
class Histogram {
 public:
  static constexpr uint64_t kSubBuckets = 2048;  // exact below this many µs
  static constexpr uint64_t kHalf = kSubBuckets / 2;
  static constexpr uint64_t kMaxUs = 10'000'000;  // 10 s; larger values land in the top bucket

  Histogram() : counts_(Index(kMaxUs) + 1, 0) {}

  void Record(uint64_t ns) {
    uint64_t us = std::min<uint64_t>(ns / 1000, kMaxUs);
    ++counts_[Index(us)];
    ++total_;
    sum_ns_ += ns;
    min_ns_ = std::min(min_ns_, ns);
    max_ns_ = std::max(max_ns_, ns);
  }
  void Merge(const Histogram& o) {
    for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += o.counts_[i];
    total_ += o.total_;
    sum_ns_ += o.sum_ns_;
    min_ns_ = std::min(min_ns_, o.min_ns_);
    max_ns_ = std::max(max_ns_, o.max_ns_);
  }
  // The value (ms) at percentile q (0-100): the midpoint of the bucket holding that rank, clamped
  // to the exact max.
  double PercentileMs(double q) const {
    if (total_ == 0) return 0;
    uint64_t rank = static_cast<uint64_t>(q / 100.0 * static_cast<double>(total_) + 0.5);
    rank = std::clamp<uint64_t>(rank, 1, total_);
    uint64_t seen = 0;
    for (size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen >= rank) {
        double us = Midpoint(i);
        return std::min(us / 1000.0, MaxMs());
      }
    }
    return MaxMs();
  }
  double AvgMs() const { return total_ ? static_cast<double>(sum_ns_) / total_ / 1e6 : 0; }
  double MinMs() const { return total_ ? static_cast<double>(min_ns_) / 1e6 : 0; }
  double MaxMs() const { return static_cast<double>(max_ns_) / 1e6; }
  uint64_t count() const { return total_; }

  static size_t Index(uint64_t us) {
    if (us < kSubBuckets) return static_cast<size_t>(us);
    int msb = 63 - std::countl_zero(us);  // >= 11
    int shift = msb - 10;                 // (us >> shift) in [1024, 2047]
    return static_cast<size_t>(kSubBuckets + static_cast<uint64_t>(shift - 1) * kHalf +
                               ((us >> shift) - kHalf));
  }
  static double Midpoint(size_t idx) {
    if (idx < kSubBuckets) return static_cast<double>(idx);
    uint64_t shift = (idx - kSubBuckets) / kHalf + 1;
    uint64_t m = (idx - kSubBuckets) % kHalf + kHalf;
    return static_cast<double>(m << shift) + static_cast<double>((uint64_t{1} << shift) - 1) / 2;
  }

 private:
  std::vector<uint64_t> counts_;
  uint64_t total_ = 0;
  uint64_t sum_ns_ = 0;
  uint64_t min_ns_ = UINT64_MAX;
  uint64_t max_ns_ = 0;
};

// ---------------------------------------------------------------------------------------------
struct Options {
  std::string host = "127.0.0.1";
  int port = 6380;
  int clients = 50;
  int64_t requests = 100000;
  int pipeline = 1;
  int data_size = 3;
  int64_t keyspace = 0;  // -r; 0 = the fixed key
  std::string tests = "set,get,incr,ping";
  int threads = 1;
  bool quiet = false;
  bool csv = false;
};

// The request frame of one test, and where its 12 key digits are (npos: no key).
struct Template {
  std::string name;  // "SET"
  std::string frame;
  size_t digits = std::string::npos;
};

Template MakeTemplate(const std::string& test, const Options& o) {
  using kv::native::Request;
  using kv::native::Value;
  Template t;
  Request req;
  std::string key;
  Opcode op;
  if (test == "set") {
    op = Opcode::kSET;
    key = "key:__rand_int__";
    req.value = Value::Bytes(std::string(static_cast<size_t>(o.data_size), 'x'));
  } else if (test == "get") {
    op = Opcode::kGET;
    key = "key:__rand_int__";
  } else if (test == "incr") {
    op = Opcode::kINCR;
    key = "counter:__rand_int__";
  } else if (test == "ping") {
    op = Opcode::kPING;
  } else {
    throw std::runtime_error("unknown test '" + test + "' (known: set, get, incr, ping)");
  }
  req.info = kv::native::FindOpcode(static_cast<uint8_t>(op));
  req.key = key;
  kv::native::AppendRequest(&t.frame, op, kv::native::EncodeRequestPayload(req));
  t.name = std::string(req.info->name);
  if (!key.empty() && o.keyspace > 0) t.digits = t.frame.find("__rand_int__");
  return t;
}

struct Shared {
  int64_t total = 0;
  std::atomic<int64_t> issued{0};
  std::atomic<int64_t> done{0};
  std::atomic<int64_t> errors{0};
  std::atomic<bool> failed{false};
  std::mutex mu;
  std::string first_error;

  void Fail(const std::string& msg, bool fatal) {
    std::lock_guard lock(mu);
    if (first_error.empty()) first_error = msg;
    if (fatal) failed = true;
  }
  // Up to `want` request numbers still to send.
  int64_t Claim(int64_t want) {
    if (want <= 0) return 0;
    int64_t got = issued.fetch_add(want, std::memory_order_relaxed);
    if (got >= total) return 0;
    return std::min(want, total - got);
  }
};

int ConnectTo(const Options& o, std::string* err) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::string port = std::to_string(o.port);
  int rc = ::getaddrinfo(o.host.c_str(), port.c_str(), &hints, &res);
  if (rc != 0) {
    *err = "cannot resolve " + o.host + ": " + ::gai_strerror(rc);
    return -1;
  }
  int fd = -1;
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) break;
    *err = "connect to " + o.host + ":" + port + ": " + std::strerror(errno);
    ::close(fd);
    fd = -1;
  }
  ::freeaddrinfo(res);
  if (fd < 0) return -1;
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

struct Conn {
  int fd = -1;
  std::string out;
  size_t out_off = 0;
  std::string in;
  size_t in_off = 0;
  std::vector<uint64_t> sent;  // send times of in-flight requests, a ring of capacity P
  size_t head = 0;             // oldest in-flight
  size_t inflight = 0;
};

void RunThread(const Options& o, const Template& tmpl, std::vector<int> fds, Shared* sh,
               Histogram* hist, uint64_t seed, uint64_t* end_ns) {
  std::vector<Conn> conns(fds.size());
  for (size_t i = 0; i < fds.size(); ++i) {
    conns[i].fd = fds[i];
    conns[i].sent.resize(static_cast<size_t>(o.pipeline));
  }
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int64_t> dist(0, std::max<int64_t>(o.keyspace, 1) - 1);
  std::vector<pollfd> pfds(conns.size());
  kv::native::FrameParser parser;
  char digits[24];
  const size_t cap = static_cast<size_t>(o.pipeline);

  for (;;) {
    if (sh->failed) break;
    bool any_inflight = false;
    for (size_t i = 0; i < conns.size(); ++i) {
      Conn& c = conns[i];
      // Refill to P in flight.
      int64_t n = sh->Claim(static_cast<int64_t>(cap - c.inflight));
      uint64_t now = n > 0 ? NowNs() : 0;
      for (int64_t k = 0; k < n; ++k) {
        size_t at = c.out.size();
        c.out += tmpl.frame;
        if (tmpl.digits != std::string::npos) {
          std::snprintf(digits, sizeof(digits), "%012" PRId64, dist(rng));
          std::memcpy(c.out.data() + at + tmpl.digits, digits, 12);
        }
        c.sent[(c.head + c.inflight) % cap] = now;
        ++c.inflight;
      }
      // Write what is pending.
      while (c.out_off < c.out.size()) {
        ssize_t w = ::send(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL);
        if (w < 0) {
          if (errno == EINTR) continue;
          if (errno == EAGAIN || errno == EWOULDBLOCK) break;
          sh->Fail(std::string("write: ") + std::strerror(errno), true);
          break;
        }
        c.out_off += static_cast<size_t>(w);
      }
      if (c.out_off == c.out.size()) {
        c.out.clear();
        c.out_off = 0;
      }
      if (c.inflight > 0) any_inflight = true;
      pfds[i] = pollfd{c.fd, static_cast<short>(POLLIN | (c.out.empty() ? 0 : POLLOUT)), 0};
    }
    if (!any_inflight || sh->failed) break;
    int pr = ::poll(pfds.data(), pfds.size(), 1000);
    if (pr < 0 && errno != EINTR) {
      sh->Fail(std::string("poll: ") + std::strerror(errno), true);
      break;
    }
    for (size_t i = 0; i < conns.size(); ++i) {
      if (!(pfds[i].revents & (POLLIN | POLLERR | POLLHUP))) continue;
      Conn& c = conns[i];
      for (;;) {
        size_t old = c.in.size();
        c.in.resize(old + 65536);
        ssize_t r = ::recv(c.fd, c.in.data() + old, 65536, 0);
        if (r <= 0) {
          c.in.resize(old);
          if (r < 0 && errno == EINTR) continue;
          if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
          sh->Fail(r == 0 ? "connection closed by the server"
                          : std::string("read: ") + std::strerror(errno),
                   true);
          break;
        }
        c.in.resize(old + static_cast<size_t>(r));
        if (static_cast<size_t>(r) < 65536) break;
      }
      uint64_t now = NowNs();
      int64_t got = 0;
      for (;;) {
        size_t consumed = 0;
        kv::native::Frame f;
        std::string_view avail(c.in.data() + c.in_off, c.in.size() - c.in_off);
        auto res = parser.Parse(avail, &consumed, &f);
        if (res == kv::native::FrameParser::Result::kTooLarge) {
          sh->Fail("reply larger than 64 MB", true);
          break;
        }
        if (res != kv::native::FrameParser::Result::kOk) break;
        c.in_off += consumed;
        if (c.inflight == 0) {
          sh->Fail("reply without a request", true);
          break;
        }
        hist->Record(now - c.sent[c.head]);
        c.head = (c.head + 1) % cap;
        --c.inflight;
        ++got;
        auto st = static_cast<kv::native::Status>(f.code);
        if (st == kv::native::Status::kError || st == kv::native::Status::kInvalid) {
          sh->errors.fetch_add(1, std::memory_order_relaxed);
          sh->Fail(std::string(st == kv::native::Status::kError ? "ERROR: " : "INVALID: ") +
                       std::string(f.payload),
                   false);
        }
      }
      if (c.in_off == c.in.size()) {
        c.in.clear();
        c.in_off = 0;
      } else if (c.in_off > 65536) {
        c.in.erase(0, c.in_off);
        c.in_off = 0;
      }
      sh->done.fetch_add(got, std::memory_order_relaxed);
    }
  }
  for (Conn& c : conns) ::close(c.fd);
  *end_ns = NowNs();
}

struct TestResult {
  std::string name;
  double seconds = 0;
  double rps = 0;
  Histogram hist;
  int64_t errors = 0;
};

bool RunTest(const Options& o, const std::string& test, TestResult* out) {
  Template tmpl = MakeTemplate(test, o);
  Shared sh;
  sh.total = o.requests;
  int nthreads = std::max(1, std::min(o.threads, o.clients));
  std::vector<std::vector<int>> fds(static_cast<size_t>(nthreads));
  for (int i = 0; i < o.clients; ++i) {
    std::string err;
    int fd = ConnectTo(o, &err);
    if (fd < 0) {
      std::fprintf(stderr, "kv-benchmark: %s\n", err.c_str());
      for (auto& v : fds)
        for (int f : v) ::close(f);
      return false;
    }
    fds[static_cast<size_t>(i % nthreads)].push_back(fd);
  }
  std::vector<Histogram> hists(static_cast<size_t>(nthreads));
  std::vector<uint64_t> ends(static_cast<size_t>(nthreads), 0);
  std::vector<std::thread> threads;
  auto start = Clock::now();
  uint64_t start_ns = NowNs();
  std::random_device rd;
  for (int t = 0; t < nthreads; ++t) {
    threads.emplace_back(RunThread, std::cref(o), std::cref(tmpl), fds[static_cast<size_t>(t)], &sh,
                         &hists[static_cast<size_t>(t)],
                         (static_cast<uint64_t>(rd()) << 32) ^ static_cast<uint64_t>(t),
                         &ends[static_cast<size_t>(t)]);
  }
  bool progress = !o.quiet && !o.csv;
  auto last = start;
  int64_t last_done = 0;
  int tick = 0;
  while (sh.done.load() < o.requests && !sh.failed) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (!progress || ++tick % 25 != 0) continue;
    auto now = Clock::now();
    int64_t d = sh.done.load();
    double dt = std::chrono::duration<double>(now - last).count();
    double all = std::chrono::duration<double>(now - start).count();
    std::fprintf(stderr, "\r%s: rps=%.1f (overall: %.1f) %" PRId64 "/%" PRId64 "   ", tmpl.name.c_str(),
                 static_cast<double>(d - last_done) / dt, static_cast<double>(d) / all, d, o.requests);
    last = now;
    last_done = d;
  }
  for (auto& t : threads) t.join();
  if (progress) std::fprintf(stderr, "\r%*s\r", 70, "");
  if (sh.failed) {
    std::fprintf(stderr, "kv-benchmark: %s: %s\n", tmpl.name.c_str(), sh.first_error.c_str());
    return false;
  }
  out->name = tmpl.name;
  // From the first thread's start to the last thread's end (not the progress loop's wake-up).
  out->seconds = static_cast<double>(*std::max_element(ends.begin(), ends.end()) - start_ns) / 1e9;
  for (auto& h : hists) out->hist.Merge(h);
  out->rps = static_cast<double>(out->hist.count()) / out->seconds;
  out->errors = sh.errors.load();
  if (out->errors > 0) {
    std::fprintf(stderr, "kv-benchmark: %s: %" PRId64 " error replies, first: %s\n",
                 tmpl.name.c_str(), out->errors, sh.first_error.c_str());
  }
  return true;
}

void Report(const Options& o, const TestResult& r) {
  const Histogram& h = r.hist;
  if (o.csv) {
    std::printf("\"%s\",\"%.2f\",\"%.3f\",\"%.3f\",\"%.3f\",\"%.3f\",\"%.3f\",\"%.3f\"\n",
                r.name.c_str(), r.rps, h.AvgMs(), h.MinMs(), h.PercentileMs(50),
                h.PercentileMs(95), h.PercentileMs(99), h.MaxMs());
  } else if (o.quiet) {
    std::printf("%s: %.2f requests per second, p50=%.3f msec\n", r.name.c_str(), r.rps,
                h.PercentileMs(50));
  } else {
    std::printf("====== %s ======\n", r.name.c_str());
    std::printf("  %" PRIu64 " requests completed in %.2f seconds\n", h.count(), r.seconds);
    std::printf("  %d parallel clients, %d threads, pipeline %d\n", o.clients, o.threads,
                o.pipeline);
    std::printf("  %d bytes payload\n", o.data_size);
    if (r.errors > 0) std::printf("  %" PRId64 " error replies\n", r.errors);
    std::printf("Latency summary (msec):\n");
    std::printf("  %9s %9s %9s %9s %9s %9s %9s\n", "avg", "min", "p50", "p95", "p99", "p99.9",
                "max");
    std::printf("  %9.3f %9.3f %9.3f %9.3f %9.3f %9.3f %9.3f\n", h.AvgMs(), h.MinMs(),
                h.PercentileMs(50), h.PercentileMs(95), h.PercentileMs(99),
                h.PercentileMs(99.9), h.MaxMs());
    std::printf("Throughput summary: %.2f requests per second\n\n", r.rps);
  }
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"kv-benchmark: redis-benchmark for kv-server's native protocol"};
  app.set_help_flag("--help", "Print this help message and exit");
  app.add_option("-h,--host", o.host, "server host")->capture_default_str();
  app.add_option("-p,--port", o.port, "server native-protocol port")
      ->check(CLI::Range(1, 65535))
      ->capture_default_str();
  app.add_option("-c,--clients", o.clients, "parallel connections")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  app.add_option("-n,--requests", o.requests, "total requests per test")
      ->check(CLI::Range(int64_t{1}, INT64_MAX / 2))
      ->capture_default_str();
  app.add_option("-P,--pipeline", o.pipeline, "requests in flight per connection")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  app.add_option("-d,--data-size", o.data_size, "SET value size in bytes")
      ->check(CLI::Range(0, 64 * 1024 * 1024 - 64))
      ->capture_default_str();
  app.add_option("-r,--keyspace", o.keyspace,
                 "random keys in [0, r) (key:NNNNNNNNNNNN); 0 = the one key key:__rand_int__")
      ->check(CLI::Range(int64_t{0}, int64_t{999'999'999'999}))
      ->capture_default_str();
  app.add_option("-t,--tests", o.tests, "comma-separated tests: set, get, incr, ping")
      ->capture_default_str();
  app.add_option("--threads", o.threads, "client threads (connections are spread over them)")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  app.add_flag("-q,--quiet", o.quiet, "quiet: one line per test, no progress");
  app.add_flag("--csv", o.csv, "CSV output (redis-benchmark's format)");
  CLI11_PARSE(app, argc, argv);

  std::vector<std::string> tests;
  {
    std::stringstream ss(o.tests);
    std::string t;
    while (std::getline(ss, t, ',')) {
      std::transform(t.begin(), t.end(), t.begin(),
                     [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
      if (!t.empty()) tests.push_back(t);
    }
  }
  if (tests.empty()) {
    std::fprintf(stderr, "kv-benchmark: no tests given (-t)\n");
    return 2;
  }
  for (const std::string& t : tests) {
    try {
      MakeTemplate(t, o);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "kv-benchmark: %s\n", e.what());
      return 2;
    }
  }
  if (o.csv) {
    std::printf("\"test\",\"rps\",\"avg_latency_ms\",\"min_latency_ms\",\"p50_latency_ms\","
                "\"p95_latency_ms\",\"p99_latency_ms\",\"max_latency_ms\"\n");
  }
  for (const std::string& t : tests) {
    TestResult r;
    if (!RunTest(o, t, &r)) return 1;
    Report(o, r);
  }
  return 0;
}
