/*
 * xgroup-loop: a consumer-group load generator for Redis-protocol servers (hiredis).
 *
 * redis-benchmark repeats one command line, so it cannot acknowledge the IDs an XREADGROUP
 * returned; this tool runs the loop a stream consumer runs. scripts/bench-resp.sh drives it as
 * the `xgroup_loop` test, and test/integration/test_xgroup_loop.py checks that it verifies what
 * it claims.
 *
 *   xgroup-loop [-h HOST] [-p PORT] [-c CONSUMERS] [-n ENTRIES] [-P COUNT] [-s KEY] [-g GROUP]
 *               [--fill | --consume]
 *
 * Fill (--fill, or the first half of a run without either flag): DEL KEY, ENTRIES pipelined
 * `XADD KEY * type done job <i> ts 1700000000` (i = 1..ENTRIES), XLEN, `XGROUP CREATE KEY GROUP 0`.
 * Consume (--consume, or the second half): CONSUMERS connections, one event loop; connection i
 * runs `XREADGROUP GROUP GROUP c<i> COUNT COUNT STREAMS KEY >`, then `XACK KEY GROUP <the IDs it
 * got>`, again until XREADGROUP answers nil (every entry delivered). One request is in flight
 * per connection: a consumer acknowledges what it read before it reads more, so -P is not a
 * pipeline of XREADGROUPs (they would deliver the same batch boundaries anyway) but COUNT, the
 * entries each read carries and each XACK acknowledges.
 *
 * Checked: every XADD reply is an ID, XLEN = ENTRIES; every XREADGROUP reply has the stream's
 * name and at most COUNT entries, each `type done job <i> ts 1700000000` with 1 <= i <= ENTRIES;
 * every XACK answers the number of IDs it carried; over all consumers every job i arrived
 * exactly once; XPENDING's summary is 0 at the end. The first violation prints
 * "xgroup-loop: FAIL: ..." and exits 1; connection problems exit 2; usage errors exit 64.
 *
 * On success, stdout: one "key value" line each of entries, consumers, count, requests
 * (XREADGROUPs + XACKs), seconds (first request sent to last reply), entries_per_second,
 * requests_per_second, p50_ms, p99_ms (latency of each request), then "xgroup-loop: OK".
 * A --fill alone prints "xgroup-loop: filled <ENTRIES>".
 */
#include <errno.h>
#include <hiredis/hiredis.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { kExitFail = 1, kExitConnection = 2, kExitUsage = 64 };

static void die(int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "xgroup-loop: %s", code == kExitFail ? "FAIL: " : "");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(code);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *type_name(int t) {
    switch (t) {
    case REDIS_REPLY_STRING: return "bulk string";
    case REDIS_REPLY_ARRAY: return "array";
    case REDIS_REPLY_INTEGER: return "integer";
    case REDIS_REPLY_NIL: return "nil";
    case REDIS_REPLY_STATUS: return "status";
    case REDIS_REPLY_ERROR: return "error";
    default: return "unknown";
    }
}

static void expect(const redisReply *r, int type, const char *what) {
    if (r->type == type) return;
    if (r->type == REDIS_REPLY_ERROR || r->type == REDIS_REPLY_STATUS)
        die(kExitFail, "%s: want %s, got %s '%.*s'", what, type_name(type), type_name(r->type),
            (int)r->len, r->str);
    die(kExitFail, "%s: want %s, got %s", what, type_name(type), type_name(r->type));
}

static int str_is(const redisReply *r, const char *s) {
    return r->type == REDIS_REPLY_STRING && r->len == strlen(s) && memcmp(r->str, s, r->len) == 0;
}

static redisContext *connect_or_die(const char *host, int port) {
    redisContext *c = redisConnect(host, port);
    if (c == NULL) die(kExitConnection, "cannot allocate a connection");
    if (c->err) die(kExitConnection, "cannot connect to %s:%d: %s", host, port, c->errstr);
    return c;
}

static redisReply *command_or_die(redisContext *c, const char *what, int argc, const char **argv) {
    redisReply *r = redisCommandArgv(c, argc, argv, NULL);
    if (r == NULL) die(kExitConnection, "%s: %s", what, c->errstr);
    return r;
}

struct options {
    const char *host;
    int port;
    int consumers;
    long entries;
    long count;
    const char *key;
    const char *group;
};

/* ------------------------------------------------------------------------------------- fill */

static void fill(const struct options *o) {
    redisContext *c = connect_or_die(o->host, o->port);
    const char *del[] = {"DEL", o->key};
    freeReplyObject(command_or_die(c, "DEL", 2, del));
    char job[24];
    const char *xadd[] = {"XADD", o->key, "*", "type", "done", "job", job, "ts", "1700000000"};
    const long batch = 1000;
    for (long first = 1; first <= o->entries; first += batch) {
        long last = first + batch - 1 < o->entries ? first + batch - 1 : o->entries;
        for (long i = first; i <= last; i++) {
            snprintf(job, sizeof job, "%ld", i);
            redisAppendCommandArgv(c, 9, xadd, NULL);
        }
        for (long i = first; i <= last; i++) {
            redisReply *r;
            if (redisGetReply(c, (void **)&r) != REDIS_OK)
                die(kExitConnection, "XADD: %s", c->errstr);
            expect(r, REDIS_REPLY_STRING, "XADD");
            freeReplyObject(r);
        }
    }
    const char *xlen[] = {"XLEN", o->key};
    redisReply *r = command_or_die(c, "XLEN", 2, xlen);
    expect(r, REDIS_REPLY_INTEGER, "XLEN");
    if (r->integer != o->entries)
        die(kExitFail, "XLEN %lld after %ld XADDs", r->integer, o->entries);
    freeReplyObject(r);
    const char *create[] = {"XGROUP", "CREATE", o->key, o->group, "0"};
    r = command_or_die(c, "XGROUP CREATE", 5, create);
    expect(r, REDIS_REPLY_STATUS, "XGROUP CREATE");
    freeReplyObject(r);
    redisFree(c);
}

/* ---------------------------------------------------------------------------------- consume */

struct consumer {
    redisContext *c;
    char name[16];
    int reading; /* the request in flight: 1 = XREADGROUP, 0 = XACK */
    int done;    /* XREADGROUP answered nil */
    long acking; /* IDs carried by the XACK in flight */
    double sent;
    int write_pending;
};

struct run {
    const struct options *o;
    unsigned char *seen; /* seen[i] = job i arrived */
    long delivered;
    long requests;
    double *latency; /* seconds, one per request */
    size_t latency_len, latency_cap;
    /* Reused XACK argument vector: XACK key group id... */
    const char **ack_argv;
    size_t *ack_len;
};

static void send_read(struct run *run, struct consumer *k) {
    char count[24];
    snprintf(count, sizeof count, "%ld", run->o->count);
    const char *argv[] = {"XREADGROUP", "GROUP", run->o->group, k->name, "COUNT", count,
                          "STREAMS", run->o->key, ">"};
    redisAppendCommandArgv(k->c, 9, argv, NULL);
    k->reading = 1;
    k->write_pending = 1;
    k->sent = now_s();
}

static void note_latency(struct run *run, double seconds) {
    if (run->latency_len == run->latency_cap) {
        run->latency_cap = run->latency_cap ? run->latency_cap * 2 : 4096;
        run->latency = realloc(run->latency, run->latency_cap * sizeof *run->latency);
        if (run->latency == NULL) die(kExitFail, "out of memory");
    }
    run->latency[run->latency_len++] = seconds;
    run->requests++;
}

/* One job's fields: type done job <i> ts 1700000000; returns i. */
static long job_of(const struct run *run, const redisReply *entry) {
    if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2)
        die(kExitFail, "XREADGROUP: an entry is not [id, fields]");
    const redisReply *id = entry->element[0], *f = entry->element[1];
    expect(id, REDIS_REPLY_STRING, "XREADGROUP entry ID");
    expect(f, REDIS_REPLY_ARRAY, "XREADGROUP entry fields");
    if (f->elements != 6 || !str_is(f->element[0], "type") || !str_is(f->element[1], "done") ||
        !str_is(f->element[2], "job") || !str_is(f->element[4], "ts") ||
        !str_is(f->element[5], "1700000000") || f->element[3]->type != REDIS_REPLY_STRING)
        die(kExitFail, "XREADGROUP: entry %.*s does not hold the fields XADD wrote", (int)id->len,
            id->str);
    char buf[24];
    size_t n = f->element[3]->len < sizeof buf - 1 ? f->element[3]->len : sizeof buf - 1;
    memcpy(buf, f->element[3]->str, n);
    buf[n] = '\0';
    char *end;
    errno = 0;
    long job = strtol(buf, &end, 10);
    if (errno || *end || job < 1 || job > run->o->entries)
        die(kExitFail, "XREADGROUP: entry %.*s has job '%s', not one of 1..%ld", (int)id->len,
            id->str, buf, run->o->entries);
    return job;
}

static void on_read_reply(struct run *run, struct consumer *k, const redisReply *r) {
    if (r->type == REDIS_REPLY_NIL) {
        k->done = 1;
        return;
    }
    expect(r, REDIS_REPLY_ARRAY, "XREADGROUP");
    if (r->elements != 1)
        die(kExitFail, "XREADGROUP: %zu streams in the reply, want 1", r->elements);
    const redisReply *s = r->element[0];
    if (s->type != REDIS_REPLY_ARRAY || s->elements != 2 || !str_is(s->element[0], run->o->key))
        die(kExitFail, "XREADGROUP: the reply is not [[%s, entries]]", run->o->key);
    const redisReply *entries = s->element[1];
    expect(entries, REDIS_REPLY_ARRAY, "XREADGROUP entries");
    if (entries->elements == 0 || (long)entries->elements > run->o->count)
        die(kExitFail, "XREADGROUP COUNT %ld: %zu entries", run->o->count, entries->elements);
    size_t argc = 3;
    for (size_t i = 0; i < entries->elements; i++) {
        long job = job_of(run, entries->element[i]);
        if (run->seen[job])
            die(kExitFail, "job %ld delivered twice (the second time to %s)", job, k->name);
        run->seen[job] = 1;
        run->delivered++;
        const redisReply *id = entries->element[i]->element[0];
        run->ack_argv[argc] = id->str;
        run->ack_len[argc] = id->len;
        argc++;
    }
    /* hiredis copies the arguments into its output buffer: the reply may be freed after. */
    redisAppendCommandArgv(k->c, (int)argc, run->ack_argv, run->ack_len);
    k->reading = 0;
    k->acking = (long)entries->elements;
    k->write_pending = 1;
    k->sent = now_s();
}

static void on_ack_reply(struct run *run, struct consumer *k, const redisReply *r) {
    expect(r, REDIS_REPLY_INTEGER, "XACK");
    if (r->integer != k->acking)
        die(kExitFail, "XACK of %ld IDs read by %s answered %lld", k->acking, k->name, r->integer);
    send_read(run, k);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double percentile(double *v, size_t n, double p) {
    if (n == 0) return 0;
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    return v[i];
}

static void consume(const struct options *o) {
    struct run run = {.o = o};
    run.seen = calloc((size_t)o->entries + 1, 1);
    run.ack_argv = calloc((size_t)o->count + 3, sizeof *run.ack_argv);
    run.ack_len = calloc((size_t)o->count + 3, sizeof *run.ack_len);
    struct consumer *ks = calloc((size_t)o->consumers, sizeof *ks);
    struct pollfd *fds = calloc((size_t)o->consumers, sizeof *fds);
    /* fds[j] is the socket of ks[fd_consumer[j]]. */
    int *fd_consumer = calloc((size_t)o->consumers, sizeof *fd_consumer);
    if (!run.seen || !run.ack_argv || !run.ack_len || !ks || !fds || !fd_consumer)
        die(kExitFail, "out of memory");
    run.ack_argv[0] = "XACK";
    run.ack_len[0] = 4;
    run.ack_argv[1] = o->key;
    run.ack_len[1] = strlen(o->key);
    run.ack_argv[2] = o->group;
    run.ack_len[2] = strlen(o->group);

    for (int i = 0; i < o->consumers; i++) {
        ks[i].c = connect_or_die(o->host, o->port);
        snprintf(ks[i].name, sizeof ks[i].name, "c%d", i);
    }
    double t0 = now_s();
    for (int i = 0; i < o->consumers; i++) send_read(&run, &ks[i]);
    int active = o->consumers;
    while (active > 0) {
        nfds_t n = 0;
        for (int i = 0; i < o->consumers; i++) {
            struct consumer *k = &ks[i];
            if (k->write_pending) {
                int done = 0;
                /* Blocking sockets: a write returns once the request is in the kernel. */
                while (!done)
                    if (redisBufferWrite(k->c, &done) != REDIS_OK)
                        die(kExitConnection, "%s: write: %s", k->name, k->c->errstr);
                k->write_pending = 0;
            }
            if (!k->done) {
                fd_consumer[n] = i;
                fds[n++] = (struct pollfd){.fd = k->c->fd, .events = POLLIN};
            }
        }
        if (poll(fds, n, 30000) <= 0)
            die(kExitFail, "no reply for 30 s (poll: %s)", strerror(errno));
        for (nfds_t j = 0; j < n; j++) {
            if (!fds[j].revents) continue;
            struct consumer *k = &ks[fd_consumer[j]];
            if (redisBufferRead(k->c) != REDIS_OK)
                die(kExitConnection, "%s: read: %s", k->name, k->c->errstr);
            redisReply *r;
            while (!k->done && !k->write_pending) {
                if (redisGetReplyFromReader(k->c, (void **)&r) != REDIS_OK)
                    die(kExitConnection, "%s: protocol error: %s", k->name, k->c->errstr);
                if (r == NULL) break;
                note_latency(&run, now_s() - k->sent);
                if (k->reading)
                    on_read_reply(&run, k, r);
                else
                    on_ack_reply(&run, k, r);
                freeReplyObject(r);
                if (k->done) active--;
            }
        }
    }
    double seconds = now_s() - t0;

    if (run.delivered != o->entries) {
        long first_missing = 0;
        for (long i = 1; i <= o->entries && !first_missing; i++)
            if (!run.seen[i]) first_missing = i;
        die(kExitFail, "%ld of %ld jobs delivered (job %ld never was)", run.delivered, o->entries,
            first_missing);
    }
    const char *xpending[] = {"XPENDING", o->key, o->group};
    redisReply *r = command_or_die(ks[0].c, "XPENDING", 3, xpending);
    expect(r, REDIS_REPLY_ARRAY, "XPENDING");
    if (r->elements != 4) die(kExitFail, "XPENDING: %zu elements, want 4", r->elements);
    expect(r->element[0], REDIS_REPLY_INTEGER, "XPENDING count");
    if (r->element[0]->integer != 0)
        die(kExitFail, "XPENDING: %lld entries still pending after every XACK",
            r->element[0]->integer);
    freeReplyObject(r);

    qsort(run.latency, run.latency_len, sizeof *run.latency, cmp_double);
    printf("entries %ld\nconsumers %d\ncount %ld\nrequests %ld\nseconds %.6f\n", o->entries,
           o->consumers, o->count, run.requests, seconds);
    printf("entries_per_second %.2f\nrequests_per_second %.2f\n", (double)o->entries / seconds,
           (double)run.requests / seconds);
    printf("p50_ms %.3f\np99_ms %.3f\n", percentile(run.latency, run.latency_len, 0.50) * 1e3,
           percentile(run.latency, run.latency_len, 0.99) * 1e3);
    printf("xgroup-loop: OK\n");
    for (int i = 0; i < o->consumers; i++) redisFree(ks[i].c);
    free(ks);
    free(fds);
    free(fd_consumer);
    free(run.seen);
    free(run.latency);
    free(run.ack_argv);
    free(run.ack_len);
}

/* ------------------------------------------------------------------------------------- main */

static long number_arg(const char *flag, const char *s, long min, long max) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < min || v > max)
        die(kExitUsage, "%s wants a number in %ld..%ld, got '%s'", flag, min, max, s);
    return v;
}

int main(int argc, char **argv) {
    struct options o = {.host = "127.0.0.1", .port = 6379, .consumers = 50, .entries = 100000,
                        .count = 1, .key = "bench:xg", .group = "g"};
    int fill_only = 0, consume_only = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--fill") == 0) {
            fill_only = 1;
            continue;
        }
        if (strcmp(a, "--consume") == 0) {
            consume_only = 1;
            continue;
        }
        if (v == NULL)
            die(kExitUsage, "usage: xgroup-loop [-h HOST] [-p PORT] [-c CONSUMERS] [-n ENTRIES] "
                            "[-P COUNT] [-s KEY] [-g GROUP] [--fill | --consume]");
        if (strcmp(a, "-h") == 0) o.host = v;
        else if (strcmp(a, "-p") == 0) o.port = (int)number_arg(a, v, 1, 65535);
        else if (strcmp(a, "-c") == 0) o.consumers = (int)number_arg(a, v, 1, 10000);
        else if (strcmp(a, "-n") == 0) o.entries = number_arg(a, v, 1, 1000000000);
        else if (strcmp(a, "-P") == 0) o.count = number_arg(a, v, 1, 100000);
        else if (strcmp(a, "-s") == 0) o.key = v;
        else if (strcmp(a, "-g") == 0) o.group = v;
        else die(kExitUsage, "unknown argument '%s'", a);
        i++;
    }
    if (fill_only && consume_only) die(kExitUsage, "--fill and --consume exclude each other");
    if (!consume_only) fill(&o);
    if (fill_only) {
        printf("xgroup-loop: filled %ld\n", o.entries);
        return 0;
    }
    consume(&o);
    return 0;
}
