/*
 * record/control.c - the control socket of a running recording, through
 * which `memmon watch` changes its watch list (record/watch.c).
 *
 * /run/memmon/record-PID.sock, PID being record's: a Unix stream socket
 * in a directory only root may enter (0700), itself 0600, so the list is
 * root's to change, as the recording is.  One request a connection, one
 * line ("add PID", "remove PID", "clear", "list"); the answer is "ok" or
 * "error" on a line, then what to tell the user.  A thread of its own
 * serves it, so the main thread's ptrace loop and the drain never wait
 * for a client, and a change reaches the kernel's filter at once.
 *
 * The socket is removed on every exit path (mm_control_stop() from
 * record's cleanup); one a SIGKILL left is stale (its pid is no running
 * memmon) and goes with the next record start or `memmon reset`
 * (stale.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "memmon.h"
#include "record/record.h"

/* A client gets this long to send its line. */
#define REQUEST_MS 2000
#define REPLY_MAX  65536

struct mm_control {
	struct mm_watch *watch;
	int fd, stop_fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	pthread_t thread;
	bool running;
};

int mm_control_dir(void)
{
	struct stat st;

	/* a system without /run (a minimal initramfs) gets it, as systemd would */
	if (mkdir("/run", 0755) < 0 && errno != EEXIST)
		return mm_error_errno("cannot create '/run'");
	if (mkdir(MM_CONTROL_DIR, 0700) < 0 && errno != EEXIST)
		return mm_error_errno("cannot create '%s'", MM_CONTROL_DIR);
	if (lstat(MM_CONTROL_DIR, &st) < 0)
		return mm_error_errno("cannot stat '%s'", MM_CONTROL_DIR);
	if (!S_ISDIR(st.st_mode) || st.st_uid != 0)
		return mm_error("'%s' is not a directory of root's", MM_CONTROL_DIR);
	/* someone's mkdir with another umask: make it root's alone again */
	if ((st.st_mode & 077) && chmod(MM_CONTROL_DIR, 0700) < 0)
		return mm_error_errno("cannot make '%s' private to root", MM_CONTROL_DIR);
	return 0;
}

void mm_control_path(char *buf, size_t len, pid_t pid)
{
	snprintf(buf, len, "%s/%s%d%s", MM_CONTROL_DIR, MM_CONTROL_PREFIX, (int)pid,
		 MM_CONTROL_SUFFIX);
}

/* One line from FD, waiting at most REQUEST_MS; "" on a silent client. */
static void read_request(int fd, char *buf, size_t len)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t n = 0;

	while (n < len - 1 && poll(&p, 1, REQUEST_MS) > 0) {
		ssize_t r = read(fd, buf + n, len - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
		if (memchr(buf, '\n', n))
			break;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

static void write_all(int fd, const char *s)
{
	size_t n = strlen(s);

	for (size_t off = 0; off < n; ) {
		ssize_t w = write(fd, s + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		off += (size_t)w;
	}
}

static void serve(struct mm_control *c, int fd)
{
	char req[128], *body = mm_malloc(REPLY_MAX);

	read_request(fd, req, sizeof(req));
	body[0] = '\0';
	write_all(fd, mm_watch_request(c->watch, req, body, REPLY_MAX) ? "error\n" : "ok\n");
	write_all(fd, body);
	free(body);
}

static void *thread_main(void *arg)
{
	struct mm_control *c = arg;
	struct pollfd p[2] = { { .fd = c->fd, .events = POLLIN },
			       { .fd = c->stop_fd, .events = POLLIN } };

	for (;;) {
		int n = poll(p, 2, -1), fd;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || p[1].revents)
			break;
		fd = accept4(c->fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		serve(c, fd);
		close(fd);
	}
	return NULL;
}

struct mm_control *mm_control_start(struct mm_watch *w)
{
	struct mm_control *c = mm_calloc(1, sizeof(*c));
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	c->watch = w;
	c->fd = c->stop_fd = -1;
	mm_control_path(c->path, sizeof(c->path), getpid());
	if (mm_control_dir() < 0)
		goto fail;
	unlink(c->path);             /* ours: a pid's old one is stale */
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", c->path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	c->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (c->fd < 0 || c->stop_fd < 0) {
		mm_error_errno("cannot make the control socket");
		goto fail;
	}
	if (bind(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		mm_error_errno("cannot bind '%s'", c->path);
		c->path[0] = '\0';   /* not ours to remove */
		goto fail;
	}
	if (chmod(c->path, 0600) < 0 || listen(c->fd, 8) < 0) {
		mm_error_errno("cannot listen on '%s'", c->path);
		goto fail;
	}
	errno = pthread_create(&c->thread, NULL, thread_main, c);
	if (errno) {
		mm_error_errno("cannot start the control thread");
		goto fail;
	}
	c->running = true;
	return c;
fail:
	mm_control_stop(c);
	return NULL;
}

void mm_control_stop(struct mm_control *c)
{
	uint64_t one = 1;

	if (!c)
		return;
	if (c->running && write(c->stop_fd, &one, sizeof(one)) == sizeof(one))
		pthread_join(c->thread, NULL);
	if (c->fd >= 0)
		close(c->fd);
	if (c->stop_fd >= 0)
		close(c->stop_fd);
	if (c->path[0])
		unlink(c->path);
	free(c);
}
