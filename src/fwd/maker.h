/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* maker.h - the peer-socket maker of the forwards (maker.c): a thread of
 * the module that makes sockets inside stacks for the loop threads. */
#ifndef VDS_MAKER_H
#define VDS_MAKER_H

#include <stdbool.h>

#include <vdestack.h>

struct vds_maker_job;

/* One forward as the maker sees it: where its sockets are made, and the
 * eventfd through which the maker says that some are ready.  The lists
 * are the maker's (under its lock). */
struct vds_maker_client {
	struct vdestack *stack;
	int domain, type;          /* of the sockets made for it */
	int efd;                   /* readable: jobs done (-1: none) */
	struct vds_maker_job *queued, **queued_tail;
	struct vds_maker_job *done, **done_tail;
	bool in_ring;              /* has queued jobs, waits its turn */
	struct vds_maker_client *ring_next;
};

/* A client that has no eventfd yet (vds_maker_client_close accepts it). */
#define VDS_MAKER_CLIENT_NONE { .efd = -1 }

/* One socket asked for, embedded in what needs it (a TCP connection, a
 * UDP flow).  fd: -1 until made, then the socket or -errno. */
struct vds_maker_job {
	struct vds_maker_client *client;
	int fd;
	struct vds_maker_job *next;
};

/* Make c a client for sockets of domain and type (SOCK_STREAM or
 * SOCK_DGRAM; made non-blocking and close-on-exec) in stack s: its
 * eventfd.  Return: 0 or -errno. */
int vds_maker_client_open(struct vds_maker_client *c, struct vdestack *s,
			  int domain, int type);
/* Close the client's eventfd (after vds_maker_detach or
 * vds_maker_forget).  Accepts a client never opened. */
void vds_maker_client_close(struct vds_maker_client *c);

/* One more user of the maker's thread, which starts with the first.
 * Return: 0 or -errno. */
int vds_maker_acquire(void);
/* One user fewer: the last one joins the thread. */
void vds_maker_release(void);

/* The maker's lock, which is also the module's fork guard: fork() takes
 * it (vds_maker_fork_prepare), so a step that makes or closes the
 * descriptors of a forward under it is never half done in a child. */
void vds_maker_lock(void);
void vds_maker_unlock(void);

/* Queue job (its client set) for the maker.  Lock held. */
void vds_maker_submit(struct vds_maker_job *job);
/* Take the client's jobs done, in the order they were queued, and clear
 * its eventfd.  Lock held.  Return: the list (linked by next), or NULL. */
struct vds_maker_job *vds_maker_collect(struct vds_maker_client *c);
/* Take every job of the client back from the maker, waiting for the one
 * being made, if any (at most one request to the helper): not on a loop
 * thread.  Return: the jobs (linked by next), made or not, or NULL. */
struct vds_maker_job *vds_maker_detach(struct vds_maker_client *c);
/* In a forked child: the same without waiting (the thread is the
 * parent's), the job being made at the fork included.
 * Return: the jobs (linked by next), or NULL. */
struct vds_maker_job *vds_maker_forget(struct vds_maker_client *c);

/* pthread_atfork handlers (fwd.c registers them). */
void vds_maker_fork_prepare(void);
void vds_maker_fork_parent(void);
void vds_maker_fork_child(void);

#endif /* VDS_MAKER_H */
