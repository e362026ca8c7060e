/*
 * record/target.c - the command `memmon record -- CMD` traces.
 *
 * CMD must be traced from its first instruction, exec included, but its pid
 * is only known after fork and the kernel's pid filter needs it.  So the
 * child is forked first and holds on a pipe; record writes its pid to the
 * instance, arms tracing and only then lets it exec.  An exec failure comes
 * back through a close-on-exec pipe (the errno; EOF means exec worked).
 *
 * Issue 3 needs /proc/PID/maps and status right after each exec and right
 * before each exit, moments only ptrace can catch: the child is seized
 * (PTRACE_SEIZE, no stop) with exec/exit/fork/clone events, and the main
 * thread's waitpid() loop snapshots at those stops and otherwise lets every
 * task run on, signals re-injected, until CMD itself has exited.  Tasks that
 * outlive CMD (daemons it started) are detached, not killed.
 *
 * A vfork child (vfork, posix_spawn) also runs with syscall stops until it
 * execs, so that execpath.c can note the path of each execve it tries,
 * failed ones included.  Its first stop may come before its parent's vfork
 * event says what it is: such a child waits, stopped, for that event.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "memmon.h"
#include "record/record.h"

#define PTRACE_OPTIONS (PTRACE_O_TRACEEXEC | PTRACE_O_TRACEEXIT | PTRACE_O_TRACEFORK | \
			PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE | PTRACE_O_EXITKILL | \
			PTRACE_O_TRACESYSGOOD)

/* Syscall stops a vfork child gets before it must exec without them: a
 * vfork child makes a few calls (posix_spawn's signal resets, dup2s, the
 * execve attempts of a PATH search); a bound keeps a child that never
 * execs from paying 17 us per call for ever. */
#define WINDOW_MAX 512

/* A set of pids, each with a count. */
struct pidset {
	struct { pid_t pid; unsigned n; } *v;
	size_t nr, cap;
};

struct mm_target {
	pid_t pid;            /* CMD */
	int go_fd;            /* write end: one byte lets the child exec */
	int err_fd;           /* read end: the child's errno if exec failed */
	char *name;           /* argv[0], for messages */
	char *path;           /* argv[0] found in $PATH, or NULL */
	bool released;
	bool traced;          /* ptrace worked: exec/exit snapshots */
	bool execd;           /* CMD's exec stop was seen */
	bool reaped;
	int status;           /* exit code or 128+signal, once reaped */
	pid_t *tasks;         /* every task under ptrace, CMD included */
	size_t nr_tasks, cap_tasks;
	struct pidset window; /* vfork children with syscall stops (n: stops) */
	struct pidset early;  /* new children stopped before their parent's event */
	void (*on_exec)(void *ctx, pid_t pid);   /* at CMD's own exec stop */
	void *exec_ctx;
};

static ssize_t set_find(const struct pidset *s, pid_t pid)
{
	for (size_t i = 0; i < s->nr; i++)
		if (s->v[i].pid == pid)
			return (ssize_t)i;
	return -1;
}

static void set_add(struct pidset *s, pid_t pid)
{
	if (set_find(s, pid) >= 0)
		return;
	MM_GROW(s->v, s->nr, s->cap, 8);
	s->v[s->nr].pid = pid;
	s->v[s->nr++].n = 0;
}

static bool set_del(struct pidset *s, pid_t pid)
{
	ssize_t i = set_find(s, pid);
	if (i < 0)
		return false;
	s->v[i] = s->v[--s->nr];
	return true;
}

static bool task_known(const struct mm_target *t, pid_t pid)
{
	for (size_t i = 0; i < t->nr_tasks; i++)
		if (t->tasks[i] == pid)
			return true;
	return false;
}

/* Let PID go on: with syscall stops while it is in a window. */
static void resume(struct mm_target *t, pid_t pid, int sig)
{
	ptrace(set_find(&t->window, pid) >= 0 ? PTRACE_SYSCALL : PTRACE_CONT, pid, 0, sig);
}

static void task_add(struct mm_target *t, pid_t pid)
{
	for (size_t i = 0; i < t->nr_tasks; i++)
		if (t->tasks[i] == pid)
			return;
	if (t->nr_tasks == t->cap_tasks) {
		t->cap_tasks = t->cap_tasks ? 2 * t->cap_tasks : 16;
		t->tasks = mm_realloc(t->tasks, t->cap_tasks * sizeof(*t->tasks));
	}
	t->tasks[t->nr_tasks++] = pid;
}

static void task_del(struct mm_target *t, pid_t pid)
{
	for (size_t i = 0; i < t->nr_tasks; i++)
		if (t->tasks[i] == pid) {
			t->tasks[i] = t->tasks[--t->nr_tasks];
			return;
		}
}

/* In the child: wait for the go byte, then exec.  Never returns. */
static void __attribute__((noreturn)) child(int go[2], int err[2], const char *path,
					    char **argv, char **envp)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGCHLD };
	sigset_t none;
	char c = 0;
	int e;

	/* Our ends only, or EOF never comes if record gives up. */
	close(go[1]);
	close(err[0]);
	/* record's handlers and blocked signals are not CMD's business. */
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	while (read(go[0], &c, 1) < 0 && errno == EINTR)
		;
	/* EOF instead of the byte: record gave up before arming. */
	if (c != 'x')
		_exit(127);
	if (!envp)
		envp = environ;
	if (path)
		execve(path, argv, envp);
	else
		execvpe(argv[0], argv, envp);
	e = errno;
	if (write(err[1], &e, sizeof(e)) != sizeof(e))
		e = ENOEXEC;
	_exit(e == ENOENT ? 127 : 126);
}

/*
 * Search $PATH here rather than with execvp() in the child: each failed
 * execve() of execvp's search would be in the trace as the program's own.
 */
static char *find_in_path(const char *name)
{
	const char *env = getenv("PATH");
	char *dirs, *save = NULL, *found = NULL;

	if (strchr(name, '/'))
		return NULL;
	dirs = mm_strdup(env ? env : "/usr/local/bin:/usr/bin:/bin");
	for (char *d = strtok_r(dirs, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
		char *cand;
		struct stat st;

		if (asprintf(&cand, "%s/%s", *d ? d : ".", name) < 0)
			break;
		if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0)
			found = cand;
		else
			free(cand);
	}
	free(dirs);
	return found;
}

char *mm_target_find(const char *name)
{
	return find_in_path(name);
}

void mm_target_on_exec(struct mm_target *t, void (*fn)(void *ctx, pid_t pid), void *ctx)
{
	t->on_exec = fn;
	t->exec_ctx = ctx;
}

char **mm_env_with(char *const *env, const char *name, const char *value)
{
	char *const *from = env ? env : environ;
	char **out;
	size_t n = 0, k = 0, len = strlen(name);

	for (char *const *e = from; *e; e++)
		n++;
	out = mm_calloc(n + 2, sizeof(*out));
	for (char *const *e = from; *e; e++)
		if (strncmp(*e, name, len) || (*e)[len] != '=')
			out[k++] = mm_strdup(*e);
	if (asprintf(&out[k], "%s=%s", name, value) < 0) {
		mm_error("out of memory");
		exit(MM_EXIT_FAIL);
	}
	return out;
}

void mm_env_free(char **env)
{
	for (char **e = env; e && *e; e++)
		free(*e);
	free(env);
}

/*
 * The target being spawned: a child that fails to exec exits holding it, and
 * a global reference keeps valgrind from calling that a leak.
 */
static struct mm_target *volatile spawning;

struct mm_target *mm_target_spawn(char **argv, char **envp)
{
	struct mm_target *t = mm_calloc(1, sizeof(*t));
	int go[2] = { -1, -1 }, err[2] = { -1, -1 };

	t->name = mm_strdup(argv[0]);
	t->path = find_in_path(argv[0]);
	t->go_fd = t->err_fd = -1;
	if (pipe2(go, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
		mm_error_errno("cannot create a pipe");
		goto fail;
	}
	spawning = t;
	t->pid = fork();
	if (t->pid < 0) {
		mm_error_errno("cannot fork");
		goto fail;
	}
	if (t->pid == 0)
		child(go, err, t->path, argv, envp);
	t->go_fd = go[1];
	t->err_fd = err[0];
	close(go[0]);
	close(err[1]);
	go[1] = err[0] = go[0] = err[1] = -1;
	spawning = NULL;
	task_add(t, t->pid);
	/*
	 * Under strace or gdb the child is someone else's tracee: record it
	 * anyway, only without the exec/exit snapshots.
	 */
	t->traced = ptrace(PTRACE_SEIZE, t->pid, 0, PTRACE_OPTIONS) == 0;
	return t;
fail:
	for (int i = 0; i < 2; i++) {
		if (go[i] >= 0)
			close(go[i]);
		if (err[i] >= 0)
			close(err[i]);
	}
	mm_target_free(t);
	return NULL;
}

pid_t mm_target_pid(const struct mm_target *t)
{
	return t->pid;
}

const char *mm_target_program(const struct mm_target *t)
{
	return t->path ? t->path : t->name;
}

static int status_code(int st)
{
	return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
}

/* Wait for PID to be gone, letting it through any ptrace stop. */
static void reap(struct mm_target *t)
{
	int st;

	while (!t->reaped) {
		pid_t p = waitpid(t->pid, &st, __WALL);
		if (p < 0 && errno == EINTR)
			continue;
		if (p < 0) {
			t->reaped = true;
			break;
		}
		if (WIFSTOPPED(st)) {
			ptrace(PTRACE_CONT, p, 0, 0);
			continue;
		}
		t->status = status_code(st);
		t->reaped = true;
	}
	task_del(t, t->pid);
}

static int on_stop(struct mm_target *t, struct mm_out *o, pid_t pid, int st);

/*
 * Until the exec pipe says how the exec went, serve the child's ptrace
 * stops as the main loop would: a signal that reached it while it was held
 * (a Ctrl-C reaches the whole process group) stops it in signal-delivery-
 * stop, where it would wait for ever while record waited for its exec.
 * Every EXEC_POLL_MS a look; an exec takes ~1 ms here.  EOF comes from an
 * exec or from the child's death: for a traced child the exec stop tells
 * which.
 */
#define EXEC_POLL_MS 10

/* One waitpid() of CMD (BLOCK or not): a stop served, an end noted. */
static int wait_cmd(struct mm_target *t, struct mm_out *o, bool block)
{
	int st;
	pid_t p = t->reaped ? 0 : waitpid(t->pid, &st, __WALL | (block ? 0 : WNOHANG));

	if (p == t->pid && WIFSTOPPED(st))
		return on_stop(t, o, p, st);
	if (p == t->pid) {
		t->status = status_code(st);
		t->reaped = true;
		task_del(t, t->pid);
	}
	return 0;
}

static int wait_exec(struct mm_target *t, struct mm_out *o, int *e, ssize_t *n)
{
	struct pollfd pfd = { .fd = t->err_fd, .events = POLLIN };

	while (poll(&pfd, 1, EXEC_POLL_MS) <= 0)
		if (wait_cmd(t, o, false) < 0)
			return -1;
	do
		*n = read(t->err_fd, e, sizeof(*e));
	while (*n < 0 && errno == EINTR);
	while (*n == 0 && t->traced && !t->execd && !t->reaped)
		if (wait_cmd(t, o, true) < 0)
			return -1;
	return 0;
}

int mm_target_release(struct mm_target *t, struct mm_out *o, int *status)
{
	ssize_t n = 0;
	int e = 0;

	if (write(t->go_fd, "x", 1) != 1)
		return mm_error_errno("cannot start '%s'", t->name);
	close(t->go_fd);
	t->go_fd = -1;
	t->released = true;
	if (wait_exec(t, o, &e, &n) < 0)
		return -1;
	close(t->err_fd);
	t->err_fd = -1;
	/* EOF: the exec worked, or the child died before it (a signal while
	 * it was held, given to it in wait_exec) */
	if (n != sizeof(e) && t->reaped && t->traced && !t->execd) {
		*status = t->status;
		return 1;
	}
	if (n != sizeof(e))
		return 0;
	reap(t);
	*status = t->status;
	errno = e;
	return mm_error_errno("cannot run '%s'", t->name);
}

/* Is PID a thread-group leader (a process rather than a thread)? */
static bool is_leader(pid_t pid)
{
	struct mm_proc_status st;

	return mm_proc_status(pid, &st) == 0 && st.tgid == pid;
}

static bool is_stop_signal(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

/* The parent's fork/vfork/clone event named CHILD: a vfork child gets a
 * window; a child already waiting for this event goes on. */
static void new_child(struct mm_target *t, struct mm_out *o, pid_t child, bool vfork)
{
	task_add(t, child);
	if (vfork && o->marker_fd >= 0)
		set_add(&t->window, child);
	if (set_del(&t->early, child))
		resume(t, child, 0);
}

/* A syscall stop of PID (only tasks in a window get them). */
static void on_syscall_stop(struct mm_target *t, struct mm_out *o, pid_t pid)
{
	ssize_t i = set_find(&t->window, pid);

	if (i < 0)
		return;
	if (++t->window.v[i].n > WINDOW_MAX) {
		set_del(&t->window, pid);
		return;
	}
	mm_execpath_note(o, pid);
}

/* One ptrace stop of PID: take what it is for, then let PID go on. */
static int on_stop(struct mm_target *t, struct mm_out *o, pid_t pid, int st)
{
	int sig = WSTOPSIG(st), event = st >> 16, ret = 0;
	unsigned long msg = 0;

	if (sig == (SIGTRAP | 0x80)) {
		on_syscall_stop(t, o, pid);
		resume(t, pid, 0);
		return 0;
	}
	switch (event) {
	case PTRACE_EVENT_EXEC:
		if (pid == t->pid && !t->execd && t->on_exec)
			t->on_exec(t->exec_ctx, pid);
		if (pid == t->pid)
			t->execd = true;
		set_del(&t->window, pid);        /* it did what it was made for */
		ret = mm_snapshot_process(o, pid, MM_PHASE_EXEC);
		break;
	case PTRACE_EVENT_EXIT:
		set_del(&t->window, pid);
		if (is_leader(pid))
			ret = mm_snapshot_process(o, pid, MM_PHASE_END);
		break;
	case PTRACE_EVENT_FORK:
	case PTRACE_EVENT_VFORK:
	case PTRACE_EVENT_CLONE:
		if (ptrace(PTRACE_GETEVENTMSG, pid, 0, &msg) == 0)
			new_child(t, o, (pid_t)msg, event == PTRACE_EVENT_VFORK);
		break;
	case PTRACE_EVENT_STOP:
		/* A new child whose parent's event is still to come: it waits
		 * for it (new_child), to start with syscall stops or not. */
		if (!task_known(t, pid)) {
			set_add(&t->early, pid);
			return 0;
		}
		/* Group-stop (job control): stay stopped, but stay traceable. */
		if (is_stop_signal(sig)) {
			ptrace(PTRACE_LISTEN, pid, 0, 0);
			return 0;
		}
		break;
	case 0:
		/* Signal-delivery-stop: deliver the signal after all. */
		resume(t, pid, sig);
		return 0;
	}
	resume(t, pid, 0);
	return ret;
}

/* Detach TASK, which may be running: stop it first (PTRACE_INTERRUPT). */
static void detach_one(pid_t pid)
{
	int st;

	if (ptrace(PTRACE_INTERRUPT, pid, 0, 0) < 0)
		return;
	for (;;) {
		pid_t p = waitpid(pid, &st, __WALL);
		if (p < 0 && errno == EINTR)
			continue;
		if (p < 0 || !WIFSTOPPED(st))
			return;
		/* A signal on its way in is handed back, not swallowed. */
		int sig = (st >> 16) == 0 ? WSTOPSIG(st) : 0;
		if (ptrace(PTRACE_DETACH, pid, 0, sig) == 0 || errno == ESRCH)
			return;
	}
}

static void detach_all(struct mm_target *t)
{
	while (t->early.nr)                 /* stopped, their parents' events lost */
		ptrace(PTRACE_DETACH, t->early.v[--t->early.nr].pid, 0, 0);
	t->window.nr = 0;
	while (t->nr_tasks) {
		pid_t pid = t->tasks[--t->nr_tasks];
		if (pid != t->pid || !t->reaped)
			detach_one(pid);
	}
}

int mm_target_wait(struct mm_target *t, struct mm_out *o, const sigset_t *waitmask,
		   mm_target_stop_fn stop, void *ctx)
{
	int st, signo = 0;

	while (!t->reaped) {
		pid_t pid = waitpid(-1, &st, __WALL | WNOHANG);

		if (pid < 0 && errno != EINTR)
			return mm_error_errno("waitpid failed");
		if (pid > 0 && WIFSTOPPED(st)) {
			if (on_stop(t, o, pid, st) < 0)
				return -1;
		} else if (pid > 0) {
			task_del(t, pid);
			set_del(&t->window, pid);
			set_del(&t->early, pid);
			if (pid == t->pid) {
				t->status = status_code(st);
				t->reaped = true;
			}
		}
		if (pid != 0)
			continue;
		switch (stop(ctx, &signo)) {
		case 1:
			kill(t->pid, signo);
			break;
		case 2:
			return MM_TARGET_STOPPED;
		}
		/* Sleep with SIGCHLD/SIGINT/SIGTERM unblocked: no lost wake-up. */
		ppoll(NULL, 0, NULL, waitmask);
	}
	detach_all(t);
	return t->status;
}

void mm_target_free(struct mm_target *t)
{
	if (!t)
		return;
	if (t->go_fd >= 0)
		close(t->go_fd);        /* a held child sees EOF and exits */
	if (t->err_fd >= 0)
		close(t->err_fd);
	if (t->pid > 0 && !t->released)
		reap(t);
	if (t->pid > 0)
		detach_all(t);
	free(t->tasks);
	free(t->window.v);
	free(t->early.v);
	free(t->name);
	free(t->path);
	free(t);
}
