// See include/hermit_sys.h. Between fork and execve only async-signal-safe
// calls (signal-safety(7)) and raw system calls are made.
#define _GNU_SOURCE
#include "hermit_sys.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sched.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

int hermit_pidfd_open(pid_t pid) {
  // PIDFD_NONBLOCK is not wanted; the descriptor only polls readable on exit.
  int fd = (int)syscall(SYS_pidfd_open, pid, 0U);
  if (fd >= 0) fcntl(fd, F_SETFD, FD_CLOEXEC);
  return fd;
}

// include/uapi/linux/openat2.h, not in every libc's headers.
struct hermit_open_how {
  unsigned long long flags, mode, resolve;
};
#ifndef SYS_openat2
#define SYS_openat2 437
#endif

int hermit_open_in_root(int dirfd, const char *path) {
  struct hermit_open_how how = {
      .flags = O_RDONLY | O_CLOEXEC | O_NOCTTY,
      .resolve = 0x10 /* IN_ROOT */ | 0x04 /* NO_SYMLINKS */ | 0x02 /* NO_MAGICLINKS */,
  };
  return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

int hermit_open_directory_path(int dirfd, const char *path, int nofollow) {
  return openat(dirfd, path, O_PATH | O_DIRECTORY | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0));
}

int hermit_unlock_pty(int master, char *name, size_t name_size) {
  if (unlockpt(master) != 0) return -1;
  return ptsname_r(master, name, name_size) == 0 ? 0 : -1;
}

ssize_t hermit_send_fd(int socket, int fd, const void *data, size_t size) {
  union {
    char buffer[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } control;
  memset(&control, 0, sizeof control);
  struct iovec iov = {.iov_base = (void *)data, .iov_len = size};
  struct msghdr message = {
      .msg_iov = &iov,
      .msg_iovlen = 1,
      .msg_control = control.buffer,
      .msg_controllen = sizeof control.buffer,
  };
  struct cmsghdr *header = CMSG_FIRSTHDR(&message);
  header->cmsg_level = SOL_SOCKET;
  header->cmsg_type = SCM_RIGHTS;
  header->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(header), &fd, sizeof(int));
  return sendmsg(socket, &message, MSG_NOSIGNAL);
}

// ---------------------------------------------------------------------------
// The confined child.

/// Tells the parent which step failed (the pipe is close-on-exec: a successful
/// execve closes it, which the parent reads as success) and exits.
static void fail(int report, int step) {
  int record[2] = {step, errno};
  ssize_t ignored = write(report, record, sizeof record);
  (void)ignored;
  _exit(127);
}

/// Creates an empty file or directory at `target` to bind `source` onto.
static int make_mount_point(const char *source, const char *target) {
  struct stat info;
  if (stat(source, &info) != 0) return -1;
  if (S_ISDIR(info.st_mode)) return mkdir(target, 0755) == 0 || errno == EEXIST ? 0 : -1;
  int fd = open(target, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return -1;
  close(fd);
  return 0;
}

/// mount_setattr(2) (Linux 5.12), not yet in every libc's headers.
struct hermit_mount_attr {
  unsigned long long attr_set;
  unsigned long long attr_clr;
  unsigned long long propagation;
  unsigned long long userns_fd;
};
#define HERMIT_MOUNT_ATTR_RDONLY 0x00000001ULL
#define HERMIT_MOUNT_ATTR_NOSUID 0x00000002ULL
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

/// Makes the new root and every bind mount in it read-only and nosuid, except
/// the writable binds. A bind mount takes such flags only on a remount (mount(2),
/// "Creating a bind mount"): where the kernel has mount_setattr, one call over the
/// whole tree and one per writable file replace a remount per file (some 70
/// system calls on every boot). Device nodes live on the tmpfs, not in the binds.
static void protect_binds(const struct hermit_child_plan *plan, int report) {
  struct hermit_mount_attr read_only = {
      .attr_set = HERMIT_MOUNT_ATTR_RDONLY | HERMIT_MOUNT_ATTR_NOSUID};
  if (syscall(SYS_mount_setattr, AT_FDCWD, plan->root, AT_RECURSIVE, &read_only,
              sizeof read_only) == 0) {
    struct hermit_mount_attr writable = {.attr_clr = HERMIT_MOUNT_ATTR_RDONLY};
    for (int i = 0; i < plan->bind_count; i++) {
      const struct hermit_bind *bind = &plan->binds[i];
      if (bind->writable &&
          syscall(SYS_mount_setattr, AT_FDCWD, bind->target, 0, &writable, sizeof writable) != 0)
        fail(report, HERMIT_STEP_BIND);
    }
    return;
  }
  if (errno != ENOSYS) fail(report, HERMIT_STEP_BIND);
  for (int i = 0; i < plan->bind_count; i++) {
    const struct hermit_bind *bind = &plan->binds[i];
    unsigned long flags = MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV;
    if (!bind->writable) flags |= MS_RDONLY;
    if (mount(NULL, bind->target, NULL, flags, NULL) != 0) fail(report, HERMIT_STEP_BIND);
  }
}

/// Mounts a tmpfs on plan->root, fills it and makes it the child's root. The
/// mount namespace is private first, so nothing here is seen by the host.
static void enter_new_root(const struct hermit_child_plan *plan, int report) {
  if (unshare(CLONE_NEWNS) != 0) fail(report, HERMIT_STEP_UNSHARE);
  // mount_namespaces(7): without this, mounts below would propagate back to the
  // host's namespace through shared peer groups.
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) fail(report, HERMIT_STEP_MOUNT);
  if (mount("hermit", plan->root, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=1m") != 0)
    fail(report, HERMIT_STEP_MOUNT);
  for (int i = 0; i < plan->directory_count; i++) {
    if (mkdir(plan->directories[i], 0755) != 0 && errno != EEXIST) fail(report, HERMIT_STEP_MOUNT);
  }
  for (int i = 0; i < plan->bind_count; i++) {
    const struct hermit_bind *bind = &plan->binds[i];
    if (make_mount_point(bind->source, bind->target) != 0) fail(report, HERMIT_STEP_BIND);
    if (mount(bind->source, bind->target, NULL, MS_BIND, NULL) != 0) fail(report, HERMIT_STEP_BIND);
    if (bind->same_as_fd >= 0) {
      // A descriptor opened in the old mount namespace cannot be the source of a
      // bind in this one (EINVAL): bind its path, then check it is the same file.
      struct stat mounted, wanted;
      if (stat(bind->target, &mounted) != 0 || fstat(bind->same_as_fd, &wanted) != 0) {
        fail(report, HERMIT_STEP_BIND);
      }
      if (mounted.st_dev != wanted.st_dev || mounted.st_ino != wanted.st_ino) {
        errno = EXDEV;
        fail(report, HERMIT_STEP_BIND);
      }
    }
  }
  for (int i = 0; i < plan->device_count; i++) {
    const struct hermit_device *device = &plan->devices[i];
    dev_t number = makedev(device->major, device->minor);
    if (mknod(device->target, S_IFCHR | (device->mode & 0777), number) != 0)
      fail(report, HERMIT_STEP_DEVICE);
    // mknod applies the umask: set the mode exactly.
    if (chmod(device->target, device->mode & 0777) != 0) fail(report, HERMIT_STEP_DEVICE);
    if (plan->change_identity && chown(device->target, plan->uid, plan->gid) != 0)
      fail(report, HERMIT_STEP_DEVICE);
  }
  protect_binds(plan, report);
  // pivot_root(2) "pivot_root(".", ".")": the old root is stacked on the new one
  // and detached at once, with no directory left for it.
  if (chdir(plan->root) != 0) fail(report, HERMIT_STEP_PIVOT);
  if (syscall(SYS_pivot_root, ".", ".") != 0) fail(report, HERMIT_STEP_PIVOT);
  if (umount2(".", MNT_DETACH) != 0) fail(report, HERMIT_STEP_PIVOT);
  if (chdir("/") != 0) fail(report, HERMIT_STEP_PIVOT);
  if (mount(NULL, "/", NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NOEXEC, "mode=0755") != 0)
    fail(report, HERMIT_STEP_PIVOT);
}

/// capset(2) with the same three sets for every capability in `mask` (64 bits,
/// _LINUX_CAPABILITY_VERSION_3).
static int set_capabilities(unsigned long long mask) {
  struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  struct __user_cap_data_struct data[2];
  for (int i = 0; i < 2; i++) {
    unsigned int word = (unsigned int)(mask >> (32 * i));
    data[i].effective = word;
    data[i].permitted = word;
    data[i].inheritable = word;
  }
  return (int)syscall(SYS_capset, &header, data);
}

/// Becomes plan->uid/gid with no capability left, not even in the bounding set.
static void drop_identity(const struct hermit_child_plan *plan, int report) {
  if (setgroups((size_t)plan->group_count, plan->groups) != 0) fail(report, HERMIT_STEP_GROUPS);
  if (setresgid(plan->gid, plan->gid, plan->gid) != 0) fail(report, HERMIT_STEP_GROUPS);
  // capabilities(7) "Capability bounding set": dropped while CAP_SETPCAP is still
  // held; the kernel's last capability is found by trying (EINVAL past it).
  for (int cap = 0; cap < 64; cap++) {
    if (plan->keep_net_bind_service && cap == CAP_NET_BIND_SERVICE) continue;
    if (prctl(PR_CAPBSET_DROP, (unsigned long)cap, 0UL, 0UL, 0UL) != 0) {
      if (errno == EINVAL) break;
      fail(report, HERMIT_STEP_CAPABILITIES);
    }
  }
  if (plan->keep_net_bind_service && prctl(PR_SET_KEEPCAPS, 1UL, 0UL, 0UL, 0UL) != 0)
    fail(report, HERMIT_STEP_CAPABILITIES);
  if (setresuid(plan->uid, plan->uid, plan->uid) != 0) fail(report, HERMIT_STEP_UID);
  // Leaving uid 0 cleared the permitted and effective sets, not the inheritable.
  unsigned long long keep =
      plan->keep_net_bind_service ? 1ULL << CAP_NET_BIND_SERVICE : 0ULL;
  if (set_capabilities(keep) != 0) fail(report, HERMIT_STEP_CAPABILITIES);
  if (keep != 0) {
    // capabilities(7) "Ambient capability set": survives execve of an
    // unprivileged binary.
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, (unsigned long)CAP_NET_BIND_SERVICE, 0UL,
              0UL) != 0)
      fail(report, HERMIT_STEP_CAPABILITIES);
  }
}

/// Opens the tap device `name` (tuntap.rst "Network device allocation"); the
/// device must exist in the current network namespace.
static int open_tap(const char *name) {
  int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
  if (fd < 0) return -1;
  struct ifreq request;
  memset(&request, 0, sizeof request);
  request.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
  size_t length = strlen(name);
  if (length >= IFNAMSIZ) {
    errno = ENAMETOOLONG;
    return -1;
  }
  memcpy(request.ifr_name, name, length);
  if (ioctl(fd, TUNSETIFF, &request) != 0) return -1;
  return fd;
}

/// Puts 0, 1, 2 and the passed descriptors in place and marks every other one
/// close-on-exec (the report pipe must live until execve).
static void arrange_descriptors(const struct hermit_child_plan *plan, int tap, int report) {
  for (int i = 0; i < 3; i++) {
    if (plan->stdio[i] >= 0 && dup2(plan->stdio[i], i) < 0) fail(report, HERMIT_STEP_DESCRIPTORS);
  }
  int count = plan->pass_fd_count + (tap >= 0 ? 1 : 0);
  // Move every source above the target range first, so no dup2 below clobbers a
  // source still to be moved.
  int moved[64];
  if (count > 64) {
    errno = EMFILE;
    fail(report, HERMIT_STEP_DESCRIPTORS);
  }
  for (int i = 0; i < count; i++) {
    int source = i < plan->pass_fd_count ? plan->pass_fds[i] : tap;
    moved[i] = fcntl(source, F_DUPFD_CLOEXEC, 3 + count);
    if (moved[i] < 0) fail(report, HERMIT_STEP_DESCRIPTORS);
  }
  for (int i = 0; i < count; i++) {
    if (dup2(moved[i], 3 + i) < 0) fail(report, HERMIT_STEP_DESCRIPTORS);
  }
  unsigned int first = (unsigned int)(3 + count);
  if (syscall(SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
    // Before Linux 5.11: mark them one by one.
    for (int fd = (int)first; fd < 4096; fd++) fcntl(fd, F_SETFD, FD_CLOEXEC);
  }
}

/// SIGKILL when the forking thread dies.
static void set_parent_death_signal(const struct hermit_child_plan *plan, int report) {
  if (prctl(PR_SET_PDEATHSIG, (unsigned long)SIGKILL, 0UL, 0UL, 0UL) != 0)
    fail(report, HERMIT_STEP_PDEATHSIG);
  // The parent may have died before prctl: then nobody would kill us.
  if (getppid() != plan->parent) _exit(127);
}

/// A descriptor moved to 256 or above, out of the range arrange_descriptors
/// writes to (the original is closed); -1 stays -1.
static int move_high(int fd) {
  if (fd < 0) return fd;
  int high = fcntl(fd, F_DUPFD_CLOEXEC, 256);
  if (high < 0) return fd;
  close(fd);
  return high;
}

static void run_child(const struct hermit_child_plan *plan, int report, int go) {
  report = move_high(report);
  go = move_high(go);
  static const int reset[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD, SIGUSR1, SIGUSR2};
  for (size_t i = 0; i < sizeof reset / sizeof reset[0]; i++) signal(reset[i], SIG_DFL);
  sigset_t empty;
  sigemptyset(&empty);
  sigprocmask(SIG_SETMASK, &empty, NULL);
  if (plan->die_with_parent) set_parent_death_signal(plan, report);
  if (plan->new_session) {
    setsid();
  } else if (plan->new_process_group) {
    setpgid(0, 0);
  }
  if (plan->netns_fd >= 0 && setns(plan->netns_fd, CLONE_NEWNET) != 0)
    fail(report, HERMIT_STEP_SETNS);
  int tap = -1;
  if (plan->tap_name != NULL && (tap = open_tap(plan->tap_name)) < 0) fail(report, HERMIT_STEP_TAP);
  if (plan->root != NULL) enter_new_root(plan, report);
  arrange_descriptors(plan, tap, report);
  if (plan->change_identity) {
    drop_identity(plan, report);
    // prctl(2): a change of credentials clears the parent-death signal.
    if (plan->die_with_parent) set_parent_death_signal(plan, report);
  }
  if (plan->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1UL, 0UL, 0UL, 0UL) != 0)
    fail(report, HERMIT_STEP_NO_NEW_PRIVS);
  if (go >= 0) {
    // Not a single instruction of QEMU before it is in its cgroups: the parent
    // writes a byte once it has moved us, and closes the pipe unwritten if it
    // could not (it then kills us, too).
    char byte;
    ssize_t got;
    do {
      got = read(go, &byte, 1);
    } while (got < 0 && errno == EINTR);
    if (got != 1) _exit(127);
  }
  execve(plan->path, plan->argv, plan->envp);
  fail(report, HERMIT_STEP_EXEC);
}

static pid_t spawn(const struct hermit_child_plan *plan, int *failed_step, int *failed_errno);

/// Moves the calling thread alone: 0 written to a cgroup v1 `tasks` file.
static int move_this_thread(int tasks) { return write(tasks, "0", 1) == 1 ? 0 : -1; }

pid_t hermit_spawn(const struct hermit_child_plan *plan, int *failed_step, int *failed_errno) {
  *failed_step = HERMIT_STEP_NONE;
  *failed_errno = 0;
  for (int i = 0; i < plan->birth_cgroup_count; i++) {
    if (move_this_thread(plan->birth_cgroup_fds[i]) != 0) {
      int saved = errno;
      for (int j = 0; j < i; j++) move_this_thread(plan->home_cgroup_fds[j]);
      *failed_step = HERMIT_STEP_CGROUP;
      *failed_errno = saved;
      errno = saved;
      return -1;
    }
  }
  pid_t pid = spawn(plan, failed_step, failed_errno);
  int saved = errno;
  for (int i = 0; i < plan->birth_cgroup_count; i++) move_this_thread(plan->home_cgroup_fds[i]);
  errno = saved;
  return pid;
}

/// hermit_spawn without the cgroup births.
static pid_t spawn(const struct hermit_child_plan *plan, int *failed_step, int *failed_errno) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return -1;
  // The child waits on `go` before execve while the parent moves it into its cgroups.
  int go[2] = {-1, -1};
  if (plan->cgroup_fd_count > 0 && pipe2(go, O_CLOEXEC) != 0) {
    int saved = errno;
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    errno = saved;
    return -1;
  }
  // No signal handler of the parent's may run in the child: a SIGTERM arriving
  // between fork and the child's reset of its handlers would run the runtime's
  // handler there and be lost. Blocked here, the child unblocks them once its
  // handlers are the defaults (run_child); the parent gets them when restored.
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &previous);
  pid_t pid = fork();
  if (pid == 0) {
    close(pipe_fds[0]);
    if (go[1] >= 0) close(go[1]);
    run_child(plan, pipe_fds[1], go[0]);
    _exit(127);
  }
  int saved = errno;
  pthread_sigmask(SIG_SETMASK, &previous, NULL);
  if (go[0] >= 0) close(go[0]);
  if (pid < 0) {
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    if (go[1] >= 0) close(go[1]);
    errno = saved;
    return -1;
  }
  close(pipe_fds[1]);
  for (int i = 0; i < plan->cgroup_fd_count; i++) {
    char number[24];
    int length = snprintf(number, sizeof number, "%d", (int)pid);
    if (write(plan->cgroup_fds[i], number, (size_t)length) != length) {
      int saved = errno;
      kill(pid, SIGKILL);
      close(go[1]);
      close(pipe_fds[0]);
      while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
      }
      *failed_step = HERMIT_STEP_CGROUP;
      *failed_errno = saved;
      errno = saved;
      return -1;
    }
  }
  if (go[1] >= 0) {
    ssize_t ignored = write(go[1], "g", 1);
    (void)ignored;
    close(go[1]);
  }
  int record[2] = {0, 0};
  ssize_t got;
  do {
    got = read(pipe_fds[0], record, sizeof record);
  } while (got < 0 && errno == EINTR);
  close(pipe_fds[0]);
  if (got == (ssize_t)sizeof record) {
    *failed_step = record[0];
    *failed_errno = record[1];
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    errno = record[1];
    return -1;
  }
  return pid;
}
