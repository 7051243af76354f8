// powerloss.so: an LD_PRELOAD shim that records what kv-server made durable, so a test can
// simulate a power loss after kill -9 (test/integration/persist_util.py,
// rebuild_after_power_loss, rebuilds the directory from this log).
//
// A kill -9 loses only what the process had not handed to the kernel; a power loss also loses
// what the kernel had not written to the disk. The difference is made of fsync calls: a file's
// bytes are durable up to its size at its last fsync, and a directory's entries as they were at
// its last fsync. Files are identified by inode number, so renames and unlinks need no
// bookkeeping of their own (a kill -9 can land between an operation and its log line; a
// listing taken at each directory fsync cannot go stale that way). For the directory
// $KV_POWERLOSS_DIR and the files directly in it the shim logs:
//
//   create <ino> <t>                a file came into existence (O_CREAT on a missing name) at
//                                   t, CLOCK_MONOTONIC in ns (the clock of time.monotonic)
//   trunc <ino> <size>              O_TRUNC or (f)truncate, logged *before* the call: taken as
//                                   durable at once, the pessimistic choice for data
//   fsync <name> <ino> <size> <t>   fsync/fdatasync succeeded; size from fstat just before the
//                                   call, t its start
//   fsyncfail <name>                an fsync that failed (it made nothing durable)
//   dirsync <t> <name>:<ino> ...    fsync of the directory succeeded; its entries, listed at t
//                                   just before the call (inode numbers are reused at once: a
//                                   file created after t is not the one listed)
//   rename <old> <new>, unlink <name>   for people reading the log (after the call)
//
// to $KV_POWERLOSS_LOG, one line per event written with a single write(2) on an O_APPEND file,
// so the lines of every thread and of forked snapshot children interleave whole and survive the
// kill -9 of the process that wrote them. Data writes are not logged: the size at fsync counts.
//
// Fault injection: while the file named by $KV_POWERLOSS_ENOSPC exists, write(2) and friends on
// WAL segments (wal-*.log in the directory) fail with ENOSPC, as on a full disk.
//
// No locks (a forked snapshot child must never inherit a held one): the fd -> name table is an
// array of atomic pointers.
#define _GNU_SOURCE
// The build passes -D_FILE_OFFSET_BITS=64, which makes the headers rename open() to open64()
// and so on; this file defines both names itself.
#undef _FILE_OFFSET_BITS
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define MAX_FDS 65536
#define DIR_MARK "."  // the table entry of a descriptor of the watched directory itself

static char* names[MAX_FDS];  // accessed with __atomic builtins only
static char watch_dir[PATH_MAX];
static size_t watch_len;
static int log_fd = -1;
static const char* enospc_trigger;
static int ready;

static int (*real_open)(const char*, int, ...);
static int (*real_openat)(int, const char*, int, ...);
static int (*real_close)(int);
static ssize_t (*real_write)(int, const void*, size_t);
static ssize_t (*real_pwrite)(int, const void*, size_t, off_t);
static ssize_t (*real_writev)(int, const struct iovec*, int);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static int (*real_rename)(const char*, const char*);
static int (*real_renameat)(int, const char*, int, const char*);
static int (*real_unlink)(const char*);
static int (*real_unlinkat)(int, const char*, int);
static int (*real_truncate)(const char*, off_t);
static int (*real_ftruncate)(int, off_t);

// dlsym returns an object pointer; ISO C has no conversion to a function pointer, memcpy has.
#define RESOLVE(var, name)                \
  do {                                    \
    void* sym_ = dlsym(RTLD_NEXT, name);  \
    memcpy(&(var), &sym_, sizeof sym_);   \
  } while (0)

__attribute__((constructor)) static void powerloss_init(void) {
  RESOLVE(real_open, "open");
  RESOLVE(real_openat, "openat");
  RESOLVE(real_close, "close");
  RESOLVE(real_write, "write");
  RESOLVE(real_pwrite, "pwrite");
  RESOLVE(real_writev, "writev");
  RESOLVE(real_fsync, "fsync");
  RESOLVE(real_fdatasync, "fdatasync");
  RESOLVE(real_rename, "rename");
  RESOLVE(real_renameat, "renameat");
  RESOLVE(real_unlink, "unlink");
  RESOLVE(real_unlinkat, "unlinkat");
  RESOLVE(real_truncate, "truncate");
  RESOLVE(real_ftruncate, "ftruncate");
  const char* dir = getenv("KV_POWERLOSS_DIR");
  const char* log = getenv("KV_POWERLOSS_LOG");
  enospc_trigger = getenv("KV_POWERLOSS_ENOSPC");
  if (enospc_trigger && !*enospc_trigger) enospc_trigger = NULL;
  if (!dir || !*dir || dir[0] != '/' || strlen(dir) >= sizeof watch_dir) return;
  strcpy(watch_dir, dir);
  watch_len = strlen(watch_dir);
  while (watch_len > 1 && watch_dir[watch_len - 1] == '/') watch_dir[--watch_len] = '\0';
  if (log && *log) {
    log_fd = (int)syscall(SYS_openat, AT_FDCWD, log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
                          0644);
  }
  ready = 1;
}

static void emit(const char* fmt, ...) {
  if (log_fd < 0) return;
  char line[16384];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line - 1, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if (n > (int)sizeof line - 2) n = (int)sizeof line - 2;
  line[n++] = '\n';
  (void)syscall(SYS_write, log_fd, line, (size_t)n);
}

// The name of `path` inside the watched directory ("." for the directory itself), or NULL when
// it is elsewhere. `dirfd` resolves relative paths like openat(2) does.
static const char* in_dir(int dirfd, const char* path, char* buf, size_t cap) {
  if (!ready || !path) return NULL;
  char full[2 * PATH_MAX + 2];
  int n;
  if (path[0] == '/') {
    n = snprintf(full, sizeof full, "%s", path);
  } else if (dirfd == AT_FDCWD) {
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd)) return NULL;
    n = snprintf(full, sizeof full, "%s/%s", cwd, path);
  } else {
    const char* base = (dirfd >= 0 && dirfd < MAX_FDS)
                           ? __atomic_load_n(&names[dirfd], __ATOMIC_ACQUIRE)
                           : NULL;
    if (!base || strcmp(base, DIR_MARK) != 0) return NULL;
    n = snprintf(full, sizeof full, "%s/%s", watch_dir, path);
  }
  if (n < 0 || (size_t)n >= sizeof full) return NULL;
  size_t len = strlen(full);
  while (len > 1 && full[len - 1] == '/') full[--len] = '\0';
  if (strncmp(full, watch_dir, watch_len) != 0) return NULL;
  if (full[watch_len] == '\0') return DIR_MARK;
  if (full[watch_len] != '/') return NULL;
  const char* name = full + watch_len + 1;
  if (!*name || strchr(name, '/')) return NULL;  // deeper files are not ours
  if ((size_t)snprintf(buf, cap, "%s", name) >= cap) return NULL;
  return buf;
}

static void remember(int fd, const char* name) {
  if (fd < 0 || fd >= MAX_FDS) return;
  char* copy = name ? strdup(name) : NULL;
  char* old = __atomic_exchange_n(&names[fd], copy, __ATOMIC_ACQ_REL);
  free(old);
}

static const char* fd_name(int fd) {
  if (!ready || fd < 0 || fd >= MAX_FDS) return NULL;
  return __atomic_load_n(&names[fd], __ATOMIC_ACQUIRE);
}

static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

// Whether `name` (in the watched directory) exists, and its inode.
static int lookup(const char* name, struct stat* st) {
  char full[2 * PATH_MAX + 2];
  if ((size_t)snprintf(full, sizeof full, "%s/%s", watch_dir, name) >= sizeof full) return 0;
  return stat(full, st) == 0;
}

static int mode_arg(int flags, va_list ap) {
  return ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) ? va_arg(ap, int) : 0;
}

// Before the call: what an O_TRUNC will cut, and whether O_CREAT will create.
static const char* before_open(int dirfd, const char* path, int flags, char* buf, size_t cap,
                               int* existed) {
  const char* name = in_dir(dirfd, path, buf, cap);
  *existed = 1;
  if (!name || strcmp(name, DIR_MARK) == 0) return name;
  struct stat st;
  *existed = lookup(name, &st);
  if (*existed && (flags & O_TRUNC)) emit("trunc %llu 0", (unsigned long long)st.st_ino);
  return name;
}

static int after_open(int fd, const char* name, int existed) {
  if (fd < 0) return fd;
  remember(fd, name);
  struct stat st;
  // The time is taken after the open: a listing taken later sees the file.
  if (name && !existed && fstat(fd, &st) == 0)
    emit("create %llu %lld", (unsigned long long)st.st_ino, now_ns());
  return fd;
}

int open(const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  int mode = mode_arg(flags, ap);
  va_end(ap);
  char buf[PATH_MAX];
  int existed;
  const char* name = before_open(AT_FDCWD, path, flags, buf, sizeof buf, &existed);
  return after_open(real_open(path, flags, mode), name, existed);
}
int open64(const char* path, int flags, ...) __attribute__((alias("open")));

int openat(int dirfd, const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  int mode = mode_arg(flags, ap);
  va_end(ap);
  char buf[PATH_MAX];
  int existed;
  const char* name = before_open(dirfd, path, flags, buf, sizeof buf, &existed);
  return after_open(real_openat(dirfd, path, flags, mode), name, existed);
}
int openat64(int dirfd, const char* path, int flags, ...) __attribute__((alias("openat")));

int creat(const char* path, mode_t mode) {
  return open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
}
int creat64(const char* path, mode_t mode) __attribute__((alias("creat")));

int close(int fd) {
  remember(fd, NULL);
  return real_close(fd);
}

static int disk_full(int fd) {
  if (!enospc_trigger) return 0;
  const char* name = fd_name(fd);
  if (!name || strncmp(name, "wal-", 4) != 0) return 0;
  if (syscall(SYS_faccessat, AT_FDCWD, enospc_trigger, F_OK) != 0) return 0;
  errno = ENOSPC;
  return 1;
}

ssize_t write(int fd, const void* buf, size_t n) {
  if (disk_full(fd)) return -1;
  return real_write(fd, buf, n);
}
ssize_t pwrite(int fd, const void* buf, size_t n, off_t off) {
  if (disk_full(fd)) return -1;
  return real_pwrite(fd, buf, n, off);
}
ssize_t pwrite64(int fd, const void* buf, size_t n, off_t off) __attribute__((alias("pwrite")));
ssize_t writev(int fd, const struct iovec* iov, int cnt) {
  if (disk_full(fd)) return -1;
  return real_writev(fd, iov, cnt);
}

static int sync_common(int fd, int (*real)(int)) {
  const char* name = fd_name(fd);
  if (!name) return real(fd);
  char copy[PATH_MAX];
  snprintf(copy, sizeof copy, "%s", name);
  if (strcmp(copy, DIR_MARK) == 0) {
    // Listed before the call: an entry changed while it runs may or may not be covered, and
    // counting it out is the pessimistic choice. Logged after: only a completed fsync counts.
    char line[16000];
    // Taken before the listing: a file created during it counts as created after it.
    size_t n = (size_t)snprintf(line, sizeof line, "dirsync %lld", now_ns());
    DIR* d = opendir(watch_dir);
    if (d) {
      struct dirent* e;
      while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        int w = snprintf(line + n, sizeof line - n, " %s:%llu", e->d_name,
                         (unsigned long long)e->d_ino);
        if (w < 0 || (size_t)w >= sizeof line - n) break;
        n += (size_t)w;
      }
      closedir(d);
    }
    int rc = real(fd);
    if (rc == 0 && d) emit("%s", line);
    return rc;
  }
  // The size before the call: a concurrent append after it would not be covered.
  struct stat st;
  if (fstat(fd, &st) != 0) return real(fd);
  long long t0 = now_ns();
  int rc = real(fd);
  if (rc == 0) {
    emit("fsync %s %llu %lld %lld", copy, (unsigned long long)st.st_ino, (long long)st.st_size,
         t0);
  } else {
    int e = errno;
    emit("fsyncfail %s", copy);
    errno = e;
  }
  return rc;
}

int fsync(int fd) { return sync_common(fd, real_fsync); }
int fdatasync(int fd) { return sync_common(fd, real_fdatasync); }

static void log_rename(int olddir, const char* old, int newdir, const char* new_) {
  char a[PATH_MAX], b[PATH_MAX];
  const char* from = in_dir(olddir, old, a, sizeof a);
  const char* to = in_dir(newdir, new_, b, sizeof b);
  if (from && to) {
    emit("rename %s %s", from, to);
  } else if (from) {
    emit("unlink %s", from);  // moved out of the directory
  }
}

int rename(const char* old, const char* new_) {
  int rc = real_rename(old, new_);
  if (rc == 0) log_rename(AT_FDCWD, old, AT_FDCWD, new_);
  return rc;
}
int renameat(int olddir, const char* old, int newdir, const char* new_) {
  int rc = real_renameat(olddir, old, newdir, new_);
  if (rc == 0) log_rename(olddir, old, newdir, new_);
  return rc;
}

int unlink(const char* path) {
  int rc = real_unlink(path);
  char buf[PATH_MAX];
  const char* name = rc == 0 ? in_dir(AT_FDCWD, path, buf, sizeof buf) : NULL;
  if (name) emit("unlink %s", name);
  return rc;
}
int unlinkat(int dirfd, const char* path, int flags) {
  int rc = real_unlinkat(dirfd, path, flags);
  char buf[PATH_MAX];
  const char* name = rc == 0 ? in_dir(dirfd, path, buf, sizeof buf) : NULL;
  if (name && !(flags & AT_REMOVEDIR)) emit("unlink %s", name);
  return rc;
}

int truncate(const char* path, off_t size) {
  char buf[PATH_MAX];
  const char* name = in_dir(AT_FDCWD, path, buf, sizeof buf);
  struct stat st;
  if (name && strcmp(name, DIR_MARK) != 0 && lookup(name, &st))
    emit("trunc %llu %lld", (unsigned long long)st.st_ino, (long long)size);
  return real_truncate(path, size);
}
int truncate64(const char* path, off_t size) __attribute__((alias("truncate")));
int ftruncate(int fd, off_t size) {
  const char* name = fd_name(fd);
  struct stat st;
  if (name && strcmp(name, DIR_MARK) != 0 && fstat(fd, &st) == 0)
    emit("trunc %llu %lld", (unsigned long long)st.st_ino, (long long)size);
  return real_ftruncate(fd, size);
}
int ftruncate64(int fd, off_t size) __attribute__((alias("ftruncate")));
