/*
 * A small hiredis client used by test_hiredis.py.
 *
 *   hiredis_client PORT [HOST [PASSWORD]]
 *
 * Runs SET/GET/INCR/MSET/MGET/DEL, an error reply, binary values and a pipeline of 1000
 * appended commands, checks every reply, prints "hiredis_client: OK <n> checks" and exits 0;
 * on the first mismatch prints what differed and exits 1 (2 on connection problems).
 */
#include <hiredis/hiredis.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int checks = 0;

static void fail(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "hiredis_client: FAIL after %d checks: ", checks);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

static const char *type_name(int t) {
    switch (t) {
    case REDIS_REPLY_STRING: return "string";
    case REDIS_REPLY_ARRAY: return "array";
    case REDIS_REPLY_INTEGER: return "integer";
    case REDIS_REPLY_NIL: return "nil";
    case REDIS_REPLY_STATUS: return "status";
    case REDIS_REPLY_ERROR: return "error";
    default: return "other";
    }
}

static redisReply *must(redisContext *c, redisReply *r, const char *what) {
    if (r == NULL) fail("%s: no reply (%s)", what, c->errstr);
    return r;
}

static void expect_type(redisReply *r, int type, const char *what) {
    if (r->type != type)
        fail("%s: expected %s reply, got %s (%.*s)", what, type_name(type), type_name(r->type),
             (int)(r->str ? r->len : 0), r->str ? r->str : "");
}

static void check_status(redisContext *c, redisReply *r, const char *status, const char *what) {
    must(c, r, what);
    expect_type(r, REDIS_REPLY_STATUS, what);
    if (strcmp(r->str, status) != 0) fail("%s: expected +%s, got +%s", what, status, r->str);
    checks++;
    freeReplyObject(r);
}

static void check_bulk_in(redisReply *r, const char *data, size_t len, const char *what) {
    expect_type(r, REDIS_REPLY_STRING, what);
    if ((size_t)r->len != len || memcmp(r->str, data, len) != 0)
        fail("%s: expected \"%.*s\" (%zu bytes), got \"%.*s\" (%zu bytes)", what, (int)len, data,
             len, (int)r->len, r->str, (size_t)r->len);
    checks++;
}

static void check_bulk(redisContext *c, redisReply *r, const char *data, size_t len,
                       const char *what) {
    must(c, r, what);
    check_bulk_in(r, data, len, what);
    freeReplyObject(r);
}

static void check_int_in(redisReply *r, long long v, const char *what) {
    expect_type(r, REDIS_REPLY_INTEGER, what);
    if (r->integer != v) fail("%s: expected %lld, got %lld", what, v, r->integer);
    checks++;
}

static void check_int(redisContext *c, redisReply *r, long long v, const char *what) {
    must(c, r, what);
    check_int_in(r, v, what);
    freeReplyObject(r);
}

static void check_nil(redisContext *c, redisReply *r, const char *what) {
    must(c, r, what);
    expect_type(r, REDIS_REPLY_NIL, what);
    checks++;
    freeReplyObject(r);
}

static void check_error(redisContext *c, redisReply *r, const char *prefix, const char *what) {
    must(c, r, what);
    expect_type(r, REDIS_REPLY_ERROR, what);
    if (strncmp(r->str, prefix, strlen(prefix)) != 0)
        fail("%s: expected error starting with \"%s\", got \"%s\"", what, prefix, r->str);
    checks++;
    freeReplyObject(r);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s PORT [HOST [PASSWORD]]\n", argv[0]);
        return 2;
    }
    int port = atoi(argv[1]);
    const char *host = argc > 2 ? argv[2] : "127.0.0.1";
    const char *password = argc > 3 ? argv[3] : NULL;
    struct timeval tv = {10, 0};
    redisContext *c = redisConnectWithTimeout(host, port, tv);
    if (c == NULL || c->err) {
        fprintf(stderr, "hiredis_client: cannot connect to %s:%d: %s\n", host, port,
                c ? c->errstr : "out of memory");
        return 2;
    }
    redisSetTimeout(c, tv);

    if (password) check_status(c, redisCommand(c, "AUTH %s", password), "OK", "AUTH");
    check_status(c, redisCommand(c, "PING"), "PONG", "PING");
    redisReply *r = must(c, redisCommand(c, "DEL hk:str hk:bin hk:n hk:a hk:b hk:c hk:pc"), "DEL");
    freeReplyObject(r);

    /* strings */
    check_status(c, redisCommand(c, "SET %s %s", "hk:str", "hello world"), "OK", "SET");
    check_bulk(c, redisCommand(c, "GET %s", "hk:str"), "hello world", 11, "GET");
    check_nil(c, redisCommand(c, "GET %s", "hk:missing"), "GET missing");
    const char bin[] = {'a', '\0', '\r', '\n', (char)0xff, 'z'};
    check_status(c, redisCommand(c, "SET hk:bin %b", bin, sizeof bin), "OK", "SET binary");
    check_bulk(c, redisCommand(c, "GET hk:bin"), bin, sizeof bin, "GET binary");
    check_int(c, redisCommand(c, "STRLEN hk:bin"), (long long)sizeof bin, "STRLEN binary");

    /* counters */
    for (long long i = 1; i <= 3; i++) check_int(c, redisCommand(c, "INCR hk:n"), i, "INCR");
    check_int(c, redisCommand(c, "INCRBY hk:n %lld", 10LL), 13, "INCRBY");
    check_int(c, redisCommand(c, "DECR hk:n"), 12, "DECR");
    check_error(c, redisCommand(c, "INCR hk:str"), "ERR value is not an integer",
                "INCR on a string");

    /* multi-key */
    check_status(c, redisCommand(c, "MSET hk:a 1 hk:b 2 hk:c 3"), "OK", "MSET");
    r = must(c, redisCommand(c, "MGET hk:a hk:missing hk:c"), "MGET");
    expect_type(r, REDIS_REPLY_ARRAY, "MGET");
    if (r->elements != 3) fail("MGET: expected 3 elements, got %zu", (size_t)r->elements);
    check_bulk_in(r->element[0], "1", 1, "MGET[0]");
    if (r->element[1]->type != REDIS_REPLY_NIL) fail("MGET[1]: expected nil");
    check_bulk_in(r->element[2], "3", 1, "MGET[2]");
    freeReplyObject(r);
    check_int(c, redisCommand(c, "DEL hk:a hk:b hk:c hk:missing"), 3, "DEL multiple");
    check_int(c, redisCommand(c, "EXISTS hk:a hk:b hk:c"), 0, "EXISTS after DEL");
    check_nil(c, redisCommand(c, "GET hk:a"), "GET deleted");

    /* a pipeline of 1000 commands: 400 SET, 400 GET of the same keys, 200 INCR */
    char key[64], val[64];
    for (int i = 0; i < 400; i++) {
        snprintf(key, sizeof key, "hk:p:%d", i);
        snprintf(val, sizeof val, "value-%d", i * 7);
        redisAppendCommand(c, "SET %s %s", key, val);
    }
    for (int i = 0; i < 400; i++) {
        snprintf(key, sizeof key, "hk:p:%d", i);
        redisAppendCommand(c, "GET %s", key);
    }
    for (int i = 0; i < 200; i++) redisAppendCommand(c, "INCR hk:pc");
    for (int i = 0; i < 400; i++) {
        if (redisGetReply(c, (void **)&r) != REDIS_OK) fail("pipeline SET %d: %s", i, c->errstr);
        check_status(c, r, "OK", "pipelined SET");
    }
    for (int i = 0; i < 400; i++) {
        if (redisGetReply(c, (void **)&r) != REDIS_OK) fail("pipeline GET %d: %s", i, c->errstr);
        snprintf(val, sizeof val, "value-%d", i * 7);
        check_bulk(c, r, val, strlen(val), "pipelined GET");
    }
    for (int i = 0; i < 200; i++) {
        if (redisGetReply(c, (void **)&r) != REDIS_OK) fail("pipeline INCR %d: %s", i, c->errstr);
        check_int(c, r, i + 1, "pipelined INCR");
    }

    redisFree(c);
    printf("hiredis_client: OK %d checks\n", checks);
    return 0;
}
