/* kvmodule.h - the kv-server plugin API.
 *
 * A plugin is a shared library, written in C (or anything with a C ABI), that exports one
 * function, KVModule_OnLoad. The host calls it with a context, a table of API functions and the
 * plugin's load arguments; the plugin names itself with api->Init and registers its commands
 * with api->CreateCommand. Registered commands join the server's one command table: they are
 * dispatched, locked, logged and documented exactly like built-in commands, and the same
 * handler answers RESP2, RESP3 and native-protocol clients.
 *
 * Build a plugin with nothing but this header:
 *     cc -shared -fPIC -Iinclude myplugin.c -o myplugin.so
 *
 * Versioning (1: strings, 2: typed values, 3: lists, 4: hashes, sets and
 * sorted sets, 5: keyspace notifications, 6: streams): the API table only ever grows at
 * its end. KVMODULE_API_VERSION is raised when
 * functions are appended. A plugin passes the version it was built against to Init; the host
 * accepts any version up to its own and refuses newer ones with a clear message. A plugin may
 * check api->version before calling functions added after the version it requires.
 *
 * Threads: handlers run on the I/O thread of the calling client, with the shards of the
 * command's declared keys locked. They must not block; a command that needs to wait uses
 * BlockClient. Every pointer the host hands to a handler is valid only during that call.
 */
#ifndef KVMODULE_H
#define KVMODULE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KVMODULE_API_VERSION 6

#define KV_OK 0
#define KV_ERR 1
/* The key holds another type (the version 4 collection calls). */
#define KV_WRONGTYPE 2

/* OpenKey modes. */
#define KV_READ 1
#define KV_WRITE 2

/* Absolute expiry times are Unix milliseconds; this means "no expiry". */
#define KV_NO_EXPIRE (-1LL)

/* What a key holds (KeyType). */
#define KV_KEYTYPE_EMPTY 0   /* no such key */
#define KV_KEYTYPE_BYTES 1   /* a string of bytes (everything RESP clients write) */
#define KV_KEYTYPE_INT 2     /* a 64-bit integer (INCR results, native Int) */
#define KV_KEYTYPE_FLOAT 3   /* a double (INCRBYFLOAT results, native Float) */
#define KV_KEYTYPE_DECIMAL 4 /* an IEEE 754-2008 decimal128 */
#define KV_KEYTYPE_OTHER 5   /* a type this API version cannot read (KeyValue can, version 2) */

/* The type of a typed value (ValueType, API version 2): the native protocol's type bytes
 * (docs/native-protocol.md section 3). */
#define KV_VALUE_NULL 0
#define KV_VALUE_INT 1
#define KV_VALUE_FLOAT 2
#define KV_VALUE_DECIMAL 3
#define KV_VALUE_STRING 4  /* UTF-8 text a native client sent as a String */
#define KV_VALUE_BYTES 5   /* bytes: everything RESP clients write */
#define KV_VALUE_LIST 6
#define KV_VALUE_MAP 7

/* What a key holds, by its TYPE name (ObjectType, API version 3). */
#define KV_OBJ_NONE 0   /* no such key */
#define KV_OBJ_STRING 1
#define KV_OBJ_LIST 2
#define KV_OBJ_SET 3
#define KV_OBJ_ZSET 4
#define KV_OBJ_HASH 5
#define KV_OBJ_NULL 6   /* a native client's Null */
#define KV_OBJ_STREAM 7 /* no stream calls yet; KeyValue reads its entries as a List */

/* List ends (API version 3). */
#define KV_LIST_HEAD 0
#define KV_LIST_TAIL 1

/* Keyspace notification classes (NotifyKeyspaceEvent, API version 5): the letters of
 * notify-keyspace-events. */
#define KV_NOTIFY_GENERIC (1 << 2) /* g */
#define KV_NOTIFY_STRING (1 << 3)  /* $ */
#define KV_NOTIFY_LIST (1 << 4)    /* l */
#define KV_NOTIFY_SET (1 << 5)     /* s */
#define KV_NOTIFY_HASH (1 << 6)    /* h */
#define KV_NOTIFY_ZSET (1 << 7)    /* z */
#define KV_NOTIFY_MODULE (1 << 13) /* d: what plugins' own commands did */

typedef struct KVModuleCtx KVModuleCtx;       /* one command call, or the load call */
typedef struct KVModuleKey KVModuleKey;       /* an open key, valid until CloseKey or return */
typedef struct KVModuleString KVModuleString; /* an argument; read it with StringPtrLen */
typedef struct KVModuleValue KVModuleValue;   /* a typed value (version 2): see ArgValue */

/* decimal128 in Intel's BID encoding (the layout of BID_UINT128 from libintelrdfpmath):
 * w[0] holds the low 64 bits, w[1] the high 64 bits. */
typedef struct KVDecimal {
  uint64_t w[2];
} KVDecimal;

/* A command handler: reply exactly once through ctx (or call BlockClient), return KV_OK.
 * argv[0] is the command name as the client sent it. Returning KV_ERR without replying makes
 * the host reply a generic error. */
typedef int (*KVModuleCmdFunc)(KVModuleCtx *ctx, KVModuleString **argv, int argc);

/* Walk callbacks (version 4): called once per element with the caller's priv; return 0 to go
 * on, anything else to stop. Pointers and handles are valid during the call only. */
typedef int (*KVHashWalkFunc)(void *priv, const char *field, size_t flen,
                              const KVModuleValue *value);
typedef int (*KVSetWalkFunc)(void *priv, const char *member, size_t len,
                             const KVModuleValue *typed);
typedef int (*KVZsetWalkFunc)(void *priv, const char *member, size_t len, double score);

/* A stream entry ID, <ms>-<seq> (version 6). */
typedef struct KVStreamID {
  uint64_t ms;
  uint64_t seq;
} KVStreamID;
/* One stream entry: its ID and nfields field/value pairs (bytes, as XRANGE shows them). */
typedef int (*KVStreamWalkFunc)(void *priv, KVStreamID id, int nfields,
                                const char *const *fields, const size_t *flens,
                                const char *const *values, const size_t *vlens);

typedef struct KVModuleAPI {
  uint32_t version; /* the host's KVMODULE_API_VERSION */
  uint32_t size;    /* sizeof(KVModuleAPI) in the host */

  /* ---- Loading (only inside KVModule_OnLoad) ---------------------------------------------- */

  /* Names the plugin (MODULE LIST, MODULE UNLOAD <name>). Must be called first.
   * api_version: the KVMODULE_API_VERSION the plugin was built against. */
  int (*Init)(KVModuleCtx *ctx, const char *name, int module_version, int api_version);

  /* Registers a command. flags: space-separated words from "write readonly denyoom fast admin
   * blocking internal" ("" = none; internal: only the log's replay may run it), and ACL
   * categories as "@name" words (Redis's: "@string", "@keyspace", "@dangerous"...) on top of the
   * ones the flags give (write -> @write, readonly -> @read, admin -> @admin @dangerous, fast ->
   * @fast else @slow, blocking -> @blocking). arity counts the command name; negative means "at least -arity".
   * firstkey/lastkey/keystep: positions of the key arguments, as in Redis (lastkey negative
   * counts from the end; 0,0,0 = no keys). Only these keys may be opened by the handler.
   * Fails (KV_ERR, with a log line) if the name is taken or the arguments are invalid. */
  int (*CreateCommand)(KVModuleCtx *ctx, const char *name, KVModuleCmdFunc handler,
                       const char *flags, int arity, int firstkey, int lastkey, int keystep);
  /* Optional documentation shown by COMMAND DOCS and redis-cli hints: a one-line summary and
   * the argument syntax after the name, e.g. "key delta". */
  int (*SetCommandDocs)(KVModuleCtx *ctx, const char *name, const char *summary,
                        const char *syntax);

  /* ---- Arguments ------------------------------------------------------------------------- */

  const char *(*StringPtrLen)(const KVModuleString *s, size_t *len);
  /* Redis's integer rules (no spaces, no leading '+', fits 64 bits). KV_ERR if not. */
  int (*StringToLongLong)(const KVModuleString *s, long long *out);
  /* Case-insensitive comparison with a NUL-terminated word: 1 if equal. */
  int (*StringEqualsIgnoreCase)(const KVModuleString *s, const char *word);

  /* ---- Replies (exactly one top-level reply per call) ------------------------------------ */

  int (*ReplyWithLongLong)(KVModuleCtx *ctx, long long v);
  int (*ReplyWithDouble)(KVModuleCtx *ctx, double v);
  int (*ReplyWithSimpleString)(KVModuleCtx *ctx, const char *s);
  /* The whole error text including its code, e.g. "ERR value is not a valid decimal". */
  int (*ReplyWithError)(KVModuleCtx *ctx, const char *err);
  int (*ReplyWithStringBuffer)(KVModuleCtx *ctx, const char *buf, size_t len);
  int (*ReplyWithNull)(KVModuleCtx *ctx);
  /* Announces an array of len elements; the next len replies are its elements. */
  int (*ReplyWithArray)(KVModuleCtx *ctx, long len);
  /* A decimal: RESP clients get its canonical string, native clients a typed Decimal. */
  int (*ReplyWithDecimal)(KVModuleCtx *ctx, KVDecimal v);
  /* The value stored at an open key, typed (nil if the key is empty). */
  int (*ReplyWithKeyValue)(KVModuleCtx *ctx, KVModuleKey *key);
  /* "ERR wrong number of arguments for '<name>' command". */
  int (*WrongArity)(KVModuleCtx *ctx);

  /* ---- Keys ------------------------------------------------------------------------------ */

  /* Opens one of the command's declared keys; NULL if `name` is not one of them. Expired keys
   * read as empty. KV_WRITE is needed for the Set/Delete/Expire calls. */
  KVModuleKey *(*OpenKey)(KVModuleCtx *ctx, const KVModuleString *name, int mode);
  void (*CloseKey)(KVModuleKey *key);
  int (*KeyType)(KVModuleKey *key);
  /* KV_OK if a key was deleted, KV_ERR if it did not exist or the key is not writable. */
  int (*DeleteKey)(KVModuleKey *key);

  /* Reads fail with KV_ERR when the key is empty or holds another type. The bytes stay valid
   * until the key is written, closed, or the handler returns. */
  int (*GetBytes)(KVModuleKey *key, const char **ptr, size_t *len);
  int (*GetInt)(KVModuleKey *key, long long *out);
  int (*GetFloat)(KVModuleKey *key, double *out);
  int (*GetDecimal)(KVModuleKey *key, KVDecimal *out);

  /* Writes replace the value (of any type) and, like SET, clear the expiry unless
   * keep_expiry is non-zero. SetDecimal refuses NaN and Infinity (KV_ERR). */
  int (*SetBytes)(KVModuleKey *key, const char *ptr, size_t len, int keep_expiry);
  int (*SetInt)(KVModuleKey *key, long long v, int keep_expiry);
  int (*SetFloat)(KVModuleKey *key, double v, int keep_expiry);
  int (*SetDecimal)(KVModuleKey *key, KVDecimal v, int keep_expiry);

  /* Absolute expiry in Unix ms, or KV_NO_EXPIRE (also for an empty key). */
  long long (*GetExpire)(KVModuleKey *key);
  /* Sets (absolute Unix ms) or removes (KV_NO_EXPIRE) the expiry of an existing key. */
  int (*SetExpire)(KVModuleKey *key, long long at_ms);

  /* ---- Blocking -------------------------------------------------------------------------- */

  /* Instead of replying, a handler may block the client for up to timeout_ms: the host stops
   * processing that client's later requests (without blocking its thread) and calls the same
   * handler again with the same arguments every few milliseconds until it replies. Once the
   * timeout has passed, the host calls it one last time with IsBlockTimeout returning 1; the
   * handler must reply then. Only for commands registered with the "blocking" flag.
   * The deadline is fixed by the first call: later calls while blocked keep it, whatever
   * timeout they pass. BlockClient(ctx, 0) times out at once (the next call is the last).
   * Returns KV_ERR (and does not block) on the last call, or without the "blocking" flag. */
  int (*BlockClient)(KVModuleCtx *ctx, long long timeout_ms);
  int (*IsBlockTimeout)(KVModuleCtx *ctx);

  /* ---- Durability ------------------------------------------------------------------------ */

  /* By default the host logs a write command verbatim. A handler whose effect depends on time
   * or chance calls this (once, before returning) to log a deterministic command instead, e.g.
   * a relative TTL as an absolute one. argv[0] is the command name. */
  int (*LogCommandAs)(KVModuleCtx *ctx, int argc, const char *const *argv, const size_t *lens);

  /* ---- Utilities ------------------------------------------------------------------------- */

  /* Wall clock, Unix ms, read afresh (the host read its own clock for lazy expiry when the
   * command started, so the two may differ by the time the handler has run). */
  long long (*Milliseconds)(void);
  /* level: "debug", "info", "warning" or "error"; printf-style format. */
  void (*Log)(KVModuleCtx *ctx, const char *level, const char *fmt, ...)
#if defined(__GNUC__)
      __attribute__((format(printf, 3, 4)))
#endif
      ;

  /* ---- Appended: values as text ---------------------------------------------------------- */

  /* The value at `key` as GET shows it over RESP (Bytes as stored, Int/Float/Decimal in their
   * canonical form), or NULL for an empty key or a type this API version cannot read. The text
   * stays valid until the key is written, closed, or the handler returns. */
  const char *(*ValueString)(KVModuleKey *key, size_t *len);

  /* ---- Appended in version 2: typed values ----------------------------------------------- */

  /* The typed value a native-protocol client sent for argv[i] (its SET, SETNX, MSET and CAS
   * frames carry typed values), or NULL when argv[i] is plain text: every RESP argument and
   * every native CALL argument. For a typed argument, StringPtrLen(argv[i]) still gives its
   * canonical text (empty for Null, List and Map), so text-only handlers keep working. Valid
   * until the handler returns. */
  const KVModuleValue *(*ArgValue)(KVModuleCtx *ctx, int i);
  /* The value at `key`, typed (any type, those KeyType calls OTHER included), or NULL for an
   * empty key. Valid until the key is written or closed, or the handler returns. */
  const KVModuleValue *(*KeyValue)(KVModuleKey *key);
  /* KV_VALUE_*. */
  int (*ValueType)(const KVModuleValue *v);
  /* 1 when a and b are equal in type and value, else 0: String never equals Bytes nor an Int
   * its digits; Floats compare by their bits (0.0 and -0.0 differ); Decimals by canonical string
   * (2.50 and 2.5 differ, as GET tells them apart); Lists and Maps element by element, in order. */
  int (*ValueEquals)(const KVModuleValue *a, const KVModuleValue *b);
  /* Reads fail with KV_ERR when v holds another type. */
  int (*ValueGetInt)(const KVModuleValue *v, long long *out);
  int (*ValueGetFloat)(const KVModuleValue *v, double *out);
  int (*ValueGetDecimal)(const KVModuleValue *v, KVDecimal *out);
  /* String and Bytes: their bytes. Null, List and Map: the value in the native protocol's value
   * encoding (docs/native-protocol.md section 3), type byte first. KV_ERR for Int, Float and
   * Decimal. The bytes live as long as v. */
  int (*ValueGetBytes)(const KVModuleValue *v, const char **ptr, size_t *len);
  /* Stores v with its type, like the Set* calls (keep_expiry as there). */
  int (*SetValue)(KVModuleKey *key, const KVModuleValue *v, int keep_expiry);
  /* After LogCommandAs: argument i of the logged replacement stands for v, type included (a
   * native client's typed argument, say), rather than for the text given to LogCommandAs. */
  int (*LogArgValue)(KVModuleCtx *ctx, int i, const KVModuleValue *v);

  /* ---- Appended in version 3: collections ------------------------------------------------ */

  /* KV_OBJ_*: what TYPE says of the key. */
  int (*ObjectType)(KVModuleKey *key);
  /* Replies with v as stored (over RESP a scalar as its canonical text). */
  int (*ReplyWithValue)(KVModuleCtx *ctx, const KVModuleValue *v);
  /* Lists, as the list commands see them (the key's Redis list; docs/plugins.md). Every call
   * answers KV_ERR / -1 / NULL for a key of another type, leaving it untouched. */
  /* Elements; 0 for no key, -1 for another type. */
  long long (*ListLength)(KVModuleKey *key);
  /* Pushes at KV_LIST_HEAD or KV_LIST_TAIL, creating the list (the key open for writing). The
   * value keeps its type (ArgValue's, KeyValue's, ListGet's); Bytes take the text form. */
  int (*ListPush)(KVModuleKey *key, int where, const KVModuleValue *v);
  int (*ListPushBytes)(KVModuleKey *key, int where, const char *ptr, size_t len);
  /* Removes and returns the element at one end (NULL for no key or another type); the last
   * element's pop deletes the key, as LPOP does. Valid until the handler returns. */
  const KVModuleValue *(*ListPop)(KVModuleKey *key, int where);
  /* The element at index (negative counts from the tail), or NULL when out of range. Valid
   * until the list changes or the handler returns. */
  const KVModuleValue *(*ListGet)(KVModuleKey *key, long long index);
  /* Replaces the element at index: KV_ERR when out of range. */
  int (*ListSet)(KVModuleKey *key, long long index, const KVModuleValue *v);

  /* ---- Appended in version 4: hashes, sets, sorted sets ---------------------------------- */

  /* Contract shared by these calls (docs/plugins.md): those that change a key answer KV_OK
   * when done (the optional *changed then tells whether anything was added, removed or
   * created), KV_WRONGTYPE for a key of another type (left untouched), KV_ERR when the key is
   * not open for writing, an argument is invalid, or a walk is under way. Counts are 0 for no
   * key and -1 for another type. A write that empties a collection deletes its key. */

  /* KV_OK when the key holds obj_type (KV_OBJ_HASH, SET, ZSET, LIST or, from version 6,
   * STREAM) or does not exist (the first write creates it), KV_WRONGTYPE when it holds another
   * type, KV_ERR for another obj_type. */
  int (*OpenAs)(KVModuleKey *key, int obj_type);
  /* Text of any scalar value (Bytes and String as stored, Int/Float/Decimal canonical), NULL
   * for Null, List and Map. Lives as long as v. */
  const char *(*ValueText)(const KVModuleValue *v, size_t *len);

  /* Hashes: a field is bytes, its value keeps its type. */
  long long (*HashLength)(KVModuleKey *key);
  /* The field's value (a copy: valid until the handler returns), NULL when missing or for
   * another type. */
  const KVModuleValue *(*HashGet)(KVModuleKey *key, const char *field, size_t flen);
  /* *created: 1 when the field is new. */
  int (*HashSet)(KVModuleKey *key, const char *field, size_t flen, const KVModuleValue *v,
                 int *created);
  int (*HashSetBytes)(KVModuleKey *key, const char *field, size_t flen, const char *ptr,
                      size_t len, int *created);
  int (*HashDelete)(KVModuleKey *key, const char *field, size_t flen, int *deleted);
  /* Every field in storage order; the key must not be written during the walk. */
  int (*HashWalk)(KVModuleKey *key, KVHashWalkFunc fn, void *priv);

  /* Sets: members compare by text (an Int 5 and the bytes "5" are one member); a member keeps
   * its type where the encoding does (an all-integer set reads back Ints). */
  long long (*SetCard)(KVModuleKey *key);
  /* Null, List and Map values are not members: KV_ERR. */
  int (*SetAdd)(KVModuleKey *key, const KVModuleValue *v, int *added);
  int (*SetAddBytes)(KVModuleKey *key, const char *ptr, size_t len, int *added);
  int (*SetRemove)(KVModuleKey *key, const char *ptr, size_t len, int *removed);
  /* 1 member, 0 not (or no key), -1 another type. */
  int (*SetIsMember)(KVModuleKey *key, const char *ptr, size_t len);
  int (*SetWalk)(KVModuleKey *key, KVSetWalkFunc fn, void *priv);

  /* Sorted sets: members are bytes, scores doubles (NaN refused with KV_ERR); order and ranks
   * are ZRANGE's, ascending by (score, member). */
  long long (*ZsetCard)(KVModuleKey *key);
  /* Adds, or moves an existing member to score; *added: 1 when the member is new. */
  int (*ZsetAdd)(KVModuleKey *key, const char *member, size_t len, double score, int *added);
  int (*ZsetRemove)(KVModuleKey *key, const char *member, size_t len, int *removed);
  /* KV_OK with the score, KV_ERR when not a member or no key, KV_WRONGTYPE. */
  int (*ZsetScore)(KVModuleKey *key, const char *member, size_t len, double *score);
  /* 0-based rank (ZRANK, or ZREVRANK when reverse); returns as ZsetScore. */
  int (*ZsetRank)(KVModuleKey *key, const char *member, size_t len, int reverse,
                  long long *rank);
  /* The elements of ranks start..stop inclusive, as ZRANGE start stop [REV]: negative ranks
   * count from the end, an empty range calls fn never. */
  int (*ZsetRangeWalk)(KVModuleKey *key, long long start, long long stop, int reverse,
                       KVZsetWalkFunc fn, void *priv);

  /* ---- Appended in version 5: keyspace notifications ------------------------------------- */

  /* Announces `event` on `key` of the command's namespace in class `type` (one KV_NOTIFY_*
   * bit), as Redis's RM_NotifyKeyspaceEvent: published when notify-keyspace-events has that
   * class (docs/commands.md#keyspace-notifications). Call it after the change. KV_ERR outside
   * a command call or for another `type`. */
  int (*NotifyKeyspaceEvent)(KVModuleCtx *ctx, int type, const char *event,
                             const KVModuleString *key);

  /* ---- Appended in version 6: streams ---------------------------------------------------- */

  /* The same contract as the version 4 calls (OpenAs takes KV_OBJ_STREAM too). A stream keeps
   * its last ID when emptied (XDEL, trimming), so IDs never go back; a stream is deleted only
   * with its key. */
  long long (*StreamLength)(KVModuleKey *key);
  /* Appends an entry of nfields (>= 1) field/value pairs, creating the stream. id NULL: the
   * next ID as XADD * makes it; otherwise id must be greater than the stream's last ID and
   * than 0-0 (KV_ERR). *added_id (optional) gets the ID. The ID of id NULL depends on the
   * clock: call LogCommandAs with an explicit-ID XADD so that replay adds the same entry.
   * Readers blocked in XREAD on the key are woken. */
  int (*StreamAdd)(KVModuleKey *key, const KVStreamID *id, int nfields,
                   const char *const *fields, const size_t *flens, const char *const *values,
                   const size_t *vlens, KVStreamID *added_id);
  /* The entries with start <= ID <= end, ascending (reverse: descending from end), at most
   * count of them (0: no limit), as XRANGE / XREVRANGE. The key must not be written during
   * the walk. */
  int (*StreamRangeWalk)(KVModuleKey *key, KVStreamID start, KVStreamID end, int reverse,
                         long long count, KVStreamWalkFunc fn, void *priv);
  /* *deleted: 1 when the entry was there (XDEL of one ID). */
  int (*StreamDelete)(KVModuleKey *key, KVStreamID id, int *deleted);
  /* XTRIM key MAXLEN [~] maxlen (minid NULL) or MINID [~] *minid (maxlen ignored); approx: `~`,
   * whole nodes only. *removed (optional): the entries trimmed. */
  int (*StreamTrim)(KVModuleKey *key, long long maxlen, const KVStreamID *minid, int approx,
                    long long *removed);
} KVModuleAPI;

/* The one symbol every plugin exports. argv/argc: the arguments given after the path in
 * --loadmodule or MODULE LOAD. Return KV_OK, or KV_ERR to refuse loading (log why). */
int KVModule_OnLoad(KVModuleCtx *ctx, const KVModuleAPI *api, KVModuleString **argv, int argc);

#ifdef __cplusplus
}
#endif

#endif /* KVMODULE_H */
