// What Swift cannot say safely, or at all, on Linux: variadic and _GNU_SOURCE-only
// system calls (pidfd_open, unlockpt, ptsname_r, and prctl, setns, close_range in
// the child), the cmsghdr of an
// SCM_RIGHTS message, and the whole of a confined child's life between fork and
// execve, which must run only async-signal-safe calls on memory prepared before
// the fork (the runtime is multi-threaded; a lock another thread held at fork time
// would never be released in the child).
#ifndef HERMIT_SYS_H
#define HERMIT_SYS_H

#include <stddef.h>
#include <sys/types.h>

/// A file or directory of the host made visible inside the child's new root.
struct hermit_bind {
  /// The host path (already resolved: no symbolic links).
  const char *source;
  /// Where it appears, as an absolute path under the new root's mount point.
  const char *target;
  /// Nonzero: the mount stays writable (the status file, the console log).
  int writable;
  /// An open descriptor of the file that must appear (>= 0), or -1: the bind
  /// fails unless what it mounted is that very file (device and inode), so a
  /// file swapped for another after it was checked is never shown.
  int same_as_fd;
};

/// A character device node created in the new root (mknod), owned by the child's
/// user, so that device need not be opened to everyone on the host.
struct hermit_device {
  const char *target;
  unsigned int major;
  unsigned int minor;
  unsigned int mode;
};

/// Everything a confined child does between fork and execve, in this order:
/// signals reset, parent-death signal, session, network namespace, tap device,
/// new root (mount namespace), standard descriptors, passed descriptors,
/// identity (groups, gid, capabilities, uid), no_new_privs, execve.
struct hermit_child_plan {
  const char *path;
  char *const *argv;
  char *const *envp;

  /// Descriptors for 0, 1 and 2; -1 keeps the parent's.
  int stdio[3];
  /// Descriptors that appear in the child as 3, 4, ... in this order; every other
  /// descriptor is closed at execve.
  const int *pass_fds;
  int pass_fd_count;

  /// SIGKILL the child when the forking thread dies; `parent` is getpid() of the
  /// parent, to notice a parent that died before prctl.
  int die_with_parent;
  pid_t parent;
  int new_session;
  int new_process_group;

  /// A network namespace to join (an open descriptor), or -1.
  int netns_fd;
  /// A tap device to attach to inside that namespace (IFF_TAP | IFF_NO_PI |
  /// IFF_VNET_HDR), passed on as the next descriptor after `pass_fds`; or NULL.
  const char *tap_name;

  /// Open `cgroup.procs` descriptors the parent writes the child's pid into,
  /// right after the fork, while the child sets up its root; the child waits for
  /// the parent's word before execve, so QEMU never runs outside its cgroups. On
  /// cgroup v1 a move can wait for an RCU grace period (several ms), which
  /// `birth_cgroup_fds` avoids.
  const int *cgroup_fds;
  int cgroup_fd_count;

  /// cgroup v1: the child is born in its cgroups instead, with no move at all.
  /// `birth_cgroup_fds` are open `tasks` files of those cgroups, `home_cgroup_fds`
  /// those of the forking thread's own cgroups in the same hierarchies. The
  /// forking thread writes 0 (itself alone) into each birth file, forks (a child
  /// starts in its forking thread's cgroups), and writes 0 into each home file.
  /// A move of the calling thread alone skips the global lock, and its RCU grace
  /// period, that moving a process takes (cgroup_procs_write_start): about 0.1 ms
  /// per hierarchy instead of 5-20 ms. Between the two writes the runtime's
  /// other threads may charge a page or two to the new memory cgroup.
  const int *birth_cgroup_fds;
  const int *home_cgroup_fds;
  int birth_cgroup_count;

  /// Mount point of the new root (an existing empty directory), or NULL for no
  /// new mount namespace. A tmpfs is mounted there, filled with `directories`,
  /// `binds` and `devices` (all paths already under `root`), made
  /// read-only, and pivoted to; the host's tree is then detached. Every path
  /// appears at the same place it has on the host, so no symbolic links are needed.
  const char *root;
  const char *const *directories;
  int directory_count;
  const struct hermit_bind *binds;
  int bind_count;
  const struct hermit_device *devices;
  int device_count;

  /// Nonzero: become uid/gid with exactly `groups` as supplementary groups and
  /// an empty capability bounding set; no capability survives, unless
  /// `keep_net_bind_service` (host ports below 1024) keeps that one as ambient.
  int change_identity;
  uid_t uid;
  gid_t gid;
  const gid_t *groups;
  int group_count;
  int keep_net_bind_service;

  /// prctl(PR_SET_NO_NEW_PRIVS): execve can never grant privileges again.
  int no_new_privs;
};

/// Which step of a confined child failed (reported to the parent).
enum hermit_child_step {
  HERMIT_STEP_NONE = 0,
  HERMIT_STEP_PDEATHSIG,
  HERMIT_STEP_SETNS,
  HERMIT_STEP_TAP,
  HERMIT_STEP_CGROUP,
  HERMIT_STEP_UNSHARE,
  HERMIT_STEP_MOUNT,
  HERMIT_STEP_BIND,
  HERMIT_STEP_DEVICE,
  HERMIT_STEP_PIVOT,
  HERMIT_STEP_DESCRIPTORS,
  HERMIT_STEP_GROUPS,
  HERMIT_STEP_CAPABILITIES,
  HERMIT_STEP_UID,
  HERMIT_STEP_NO_NEW_PRIVS,
  HERMIT_STEP_EXEC,
};

/// Forks and runs `plan` in the child. Returns the child's pid once the child has
/// called execve successfully, or -1 with `*failed_step` and `*failed_errno`
/// saying what went wrong (the child is then reaped).
pid_t hermit_spawn(const struct hermit_child_plan *plan, int *failed_step, int *failed_errno);

/// pidfd_open(2) (Linux 5.3), close-on-exec: -1 with errno where the kernel has none.
int hermit_pidfd_open(pid_t pid);
/// openat2(2) (Linux 5.6) of `path` below `dirfd`, read-only and close-on-exec,
/// resolved with RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS.
/// -1 with errno ENOSYS where the kernel has none.
int hermit_open_in_root(int dirfd, const char *path);
/// open(2) of a directory as an O_PATH descriptor, close-on-exec.
int hermit_open_directory_path(int dirfd, const char *path, int nofollow);
/// unlockpt(3) then ptsname_r(3): the replica's path of a pty master, or -1.
int hermit_unlock_pty(int master, char *name, size_t name_size);
/// sendmsg(2) of `data` with one descriptor in an SCM_RIGHTS control message.
ssize_t hermit_send_fd(int socket, int fd, const void *data, size_t size);

#endif
