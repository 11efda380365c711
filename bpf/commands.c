// SPDX-License-Identifier: Apache-2.0
/*
 * The recorder's subcommands (main.c dispatches to them): attach, add, read, remove, list, detach, detach-idle,
 * repair, ns-ids and launch. Each prints one complete JSON document on stdout, except launch (it becomes the
 * command).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include "helper.h"

/* crun runs hooks with nearly all signals blocked and SIGPIPE ignored: undo that. */
void reset_signals(void)
{
	sigset_t none;

	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL); /* fails harmlessly for SIGKILL, SIGSTOP, libc-internal ones */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

int cmd_attach(struct opts *o)
{
	struct attach_info ai;

	(void)o;
	attach(&ai);
	printf("{\"attached\":true,\"already\":%s,\"follows_nested\":%s,\"load_ms\":%.1f}\n", json_bool(ai.already),
	       json_bool(ai.follows_nested), ai.load_ms);
	return EX_OK;
}

int cmd_add(struct opts *o)
{
	struct attach_info ai;
	char path[64];
	__u32 inum;
	__u64 id;

	snprintf(path, sizeof(path), o->pid < 0 ? "/proc/self/ns/mnt" : "/proc/%ld/ns/mnt", o->pid);
	inum = mntns_inum(path, &id);
	if (host_mntns(inum))
		fail(EX_RUNTIME, R_HOST_NAMESPACE, 0,
		     "mount namespace %u is the host's: refusing to record every process in it", inum);
	attach(&ai);
	detach_on_failure = true;
	add_target(inum, id, o->boundary);
	printf("{\"mntns\":%u,\"ns_id\":%llu}\n", inum, (unsigned long long)id);
	return EX_OK;
}

int cmd_read(struct opts *o)
{
	struct result r;

	take_result(o->mntns, false, &r);
	print_result(stdout, &r, -1);
	return EX_OK;
}

int cmd_remove(struct opts *o)
{
	struct result r;

	take_result(o->mntns, true, &r);
	if (o->keep_attached)
		release_stamp(); /* a detach-idle started before now leaves the recorder to this release's */
	print_result(stdout, &r, !o->keep_attached && detach_if_idle());
	return EX_OK;
}

int cmd_detach(struct opts *o)
{
	(void)o;
	printf("{\"detached\":%s}\n", json_bool(unpin_all()));
	return EX_OK;
}

/* Detach once nothing has recorded for a while (started in the background by the poststop stage, after its
 * `remove --keep-attached`): back-to-back containers then find the recorder attached, and an idle host pays
 * nothing. "A while" counts from the last release: one made during the wait started its own detach-idle, which
 * decides later (without that, a stream of short recordings paid an attach every few pods). */
int cmd_detach_idle(struct opts *o)
{
	reset_signals();
	sleep((unsigned int)o->after);
	lock();
	printf("{\"detached\":%s}\n", json_bool(!released_within(o->after) && detach_if_idle()));
	return EX_OK;
}

/* The pin check alone (main.c runs it before every other BPF subcommand when the pins look inconsistent). */
int cmd_repair(struct opts *o)
{
	struct attach_info ai;

	(void)o;
	lock();
	ensure_pins(&ai, false);
	unlock();
	printf("{\"attached\":%s,\"repinned\":%s,\"reattached\":%s,\"cleaned\":%s}\n", json_bool(pinned(PIN_ENTER)),
	       json_bool(ai.repinned), json_bool(ai.reattached), json_bool(ai.cleaned));
	return EX_OK;
}

/* ns-ids -- PID...: the mount namespace (inode number, never-reused id) of each process; gone ones left out.
 * Inode and id come from the same open file, so a reused pid cannot mix two namespaces. */
int cmd_ns_ids(struct opts *o)
{
	char **pids = o->argv;
	bool first = true;

	for (char **p = pids; p && *p; p++)
		parse_num(*p, 0x7fffffff, "bad PID");
	printf("{\"namespaces\":[");
	for (; pids && *pids; pids++) {
		char path[64];
		struct stat st;
		__u64 id = 0;
		long pid = (long)parse_num(*pids, 0x7fffffff, "bad PID");
		int fd;

		snprintf(path, sizeof(path), "/proc/%ld/ns/mnt", pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (fstat(fd, &st) == 0) {
			printf("%s{\"pid\":%ld,\"mntns\":%llu", first ? "" : ",", pid, (unsigned long long)st.st_ino);
			if (ioctl(fd, NS_GET_MNTNS_ID, &id) == 0)
				printf(",\"ns_id\":%llu", (unsigned long long)id);
			putchar('}');
			first = false;
		}
		close(fd);
	}
	printf("]}\n");
	return EX_OK;
}

static void list_entry(__u32 key, const struct scr_target *t, bool *first)
{
	struct scr_args args;

	printf("%s{\"mntns\":%u,\"ns_id\":%llu,\"owner\":%u,\"state\":\"%s\"", *first ? "" : ",", key,
	       (unsigned long long)t->ns_id, t->owner,
	       t->owner != key ? "nested" : t->state == SCR_STATE_RECORDING ? "recording" : "armed");
	if (t->owner == key && read_args(key, &args))
		print_args(stdout, &args);
	putchar('}');
	*first = false;
}

int cmd_list(struct opts *o)
{
	__u32 key, *kp = NULL;
	struct scr_target t;
	bool first = true;

	(void)o;
	printf("{\"attached\":%s,\"follows_nested\":%s,\"targets\":[", json_bool(pinned(PIN_ENTER)),
	       json_bool(pinned(PIN_NEWTASK)));
	if (open_maps() && read_slots())
		for (int i = 0; i < SCR_SLOTS; i++)
			if (slot_vals[i].inum)
				list_entry(slot_vals[i].inum, &slot_vals[i], &first);
	while (open_maps() && bpf_map_get_next_key(targets_fd, kp, &key) == 0) {
		kp = &key;
		if (bpf_map_lookup_elem(targets_fd, &key, &t) == 0)
			list_entry(key, &t, &first);
	}
	printf("],\"prog_ids\":[");
	first = true;
	for (int i = PIN_ENTER; i < PIN_FIRST_MAP; i++) {
		struct bpf_link_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_obj_get(pin_path[i]);

		if (fd >= 0 && bpf_obj_get_info_by_fd(fd, &info, &len) == 0) {
			printf("%s%u", first ? "" : ",", info.prog_id);
			first = false;
		}
		if (fd >= 0)
			close(fd);
	}
	printf("]}\n");
	return EX_OK;
}

int cmd_launch(struct opts *o)
{
	struct attach_info ai;
	__u32 inum;
	__u64 id;
	int err;

	if (!o->argv || !o->argv[0])
		usage("launch needs -- CMD");
	open_report(o->ready_fd);

	/* Attach, then move into a private mount namespace of our own. */
	lock();
	attach(&ai);
	detach_on_failure = true;
	/*
	 * A namespace number may still be held by a finished recording nobody has read yet (numbers are reused at
	 * once, lowest first). Then keep that namespace open, so the next one gets another number, and try again.
	 * Each namespace kept open holds a number that has an entry, so this ends within (entries + 1) tries, however
	 * many finished recordings wait to be read (50 concurrent `record` runs on 2 cores leave more than 16).
	 */
	for (int attempt = 0, tries = SCR_SLOTS + max_targets();; attempt++) {
		struct scr_target old;

		if (unshare(CLONE_NEWNS) != 0)
			fail(EX_RUNTIME, R_UNSHARE, errno, "unshare(CLONE_NEWNS)");
		if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
			fail(EX_RUNTIME, R_MOUNT, errno, "cannot make / private");
		inum = mntns_inum("/proc/self/ns/mnt", &id);
		if (attempt > tries || !open_maps() || !find_entry(inum, &old, NULL))
			break;
		if (open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC) < 0) /* closed by the exec */
			fail(EX_RUNTIME, R_BUSY, errno,
			     "%d namespace numbers in a row still hold unread recordings and no more can be held open: "
			     "let those recordings be read (`seccomp-recorder gc` finishes abandoned ones)",
			     attempt + 1);
	}

	/* Register it; the boundary (exec by default) excludes our own set-up. */
	add_target(inum, id, o->boundary);
	detach_on_failure = false;
	unlock();

	/* Tell the caller which namespace to read, then become the command. */
	if (report) {
		fprintf(report, "{\"mntns\":%u,\"ns_id\":%llu}\n", inum, (unsigned long long)id);
		fflush(report);
	}
	reset_signals();
	execvp(o->argv[0], o->argv);

	/* exec failed: take the target back so nothing stays registered. */
	err = errno;
	lock();
	if (open_maps())
		take_entry(inum, &(struct scr_target){});
	refresh_filter(&inum, 1);
	detach_on_failure = true;
	fail(EX_EXEC, R_EXEC_FAILED, err, "cannot execute %s", o->argv[0]);
}
