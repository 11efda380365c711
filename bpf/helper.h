/* SPDX-License-Identifier: Apache-2.0 */
/*
 * seccomp-recorder-helper: what its files share (bpf/README.md says which file does what).
 */
#ifndef SCR_HELPER_H
#define SCR_HELPER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <linux/types.h>
#include "recorder.h"

/* Exit codes and failure reasons: helper-codes.def, shared with the TypeScript side. */
enum scr_exit {
#define SCR_EXIT(name, number, meaning) EX_##name = number,
#include "helper-codes.def"
};

enum scr_reason {
#define SCR_REASON(name, reason, meaning) R_##name,
#include "helper-codes.def"
	R_COUNT
};

/* Linux >= 6.8; Debian 12's headers predate it. */
#ifndef NS_GET_MNTNS_ID
#define NS_GET_MNTNS_ID _IOR(0xb7, 0x5, __u64)
#endif

/* ---- command line (main.c) ---------------------------------------------- */

#define SCR_MAX_ROOTS 64

struct opts {
	const char *cmd, *spec, *spool;
	const char *finaliser, *fallback; /* hook-poststop --finaliser, --fallback */
	const char *roots[SCR_MAX_ROOTS]; /* hook-prestart --output-root, repeatable */
	int nroots;
	char **argv; /* after "--" */
	long pid;    /* -1: --self */
	__u32 mntns, boundary;
	int ready_fd;
	bool has_pid, has_mntns, log, keep_attached;
	long after; /* detach-idle --after SECONDS */
};

__attribute__((noreturn)) void usage(const char *what);
unsigned long parse_num(const char *s, unsigned long max, const char *what);

/* ---- messages and JSON output (json-out.c) ------------------------------ */

/* launch/enforce --ready-fd: errors are reported there too (the caller reads it to EOF). */
extern FILE *report;
/* As an OCI hook: messages are for people reading the runtime's error (plain text on stderr), and with
 * --on-error warn a failure lets the container start unrecorded. */
extern bool hook_mode, hook_warn_only;
/* Set once we may have attached: a failure then detaches if no target is left. */
extern bool detach_on_failure;

/* {"error":…,"reason":…,"errno":…} on stderr, then exit with code. */
__attribute__((noreturn, format(printf, 4, 5))) void fail(enum scr_exit code, enum scr_reason reason, int err,
							  const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void warn(const char *fmt, ...);
void open_report(int fd);

/* Small growable vectors of u32. */
struct vec {
	__u32 *v;
	size_t n, cap;
};

void vec_push(struct vec *a, __u32 x);
void vec_free(struct vec *a);

/* A target's recording, taken out of the maps (targets.c) and printed as one JSON object (json-out.c). */
struct result {
	__u32 mntns;
	struct scr_target t;
	struct vec nested, sys[SCR_ABI_COUNT];
	bool has_args; /* args holds the target's argument values (absent from maps of an older build) */
	struct scr_args args;
};

void result_free(struct result *r);
/* The `read` document; with detached >= 0 (remove) it also says "detached". Complete object, newline ended. */
void print_result(FILE *f, const struct result *r, int detached);
/* `"args":{…}` with a leading comma (nothing when no curated syscall was seen): the model in bpf/README.md. */
void print_args(FILE *f, const struct scr_args *a);
const char *json_bool(bool b);
void print_json_string(FILE *f, const char *s, size_t n);

/* ---- prerequisites, lock, pins, attach and repair (pins.c) -------------- */

enum { PIN_ENTER, PIN_NEWTASK, PIN_EXIT, PIN_SLOTS, PIN_TARGETS, PIN_WORDS, PIN_FILTER, PIN_ARGS, PIN_COUNT };
#define PIN_FIRST_MAP PIN_SLOTS
#define MAP_COUNT (PIN_COUNT - PIN_FIRST_MAP)

extern char pin_dir[256], pin_path[PIN_COUNT][320];
extern int slots_fd, targets_fd, words_fd, filter_fd;
/* -1 when the pinned recorder predates argument recording (another build): then no args are read or reserved. */
extern int args_fd;

struct attach_info {
	bool already, follows_nested;
	double load_ms;
	/* What a repair did: maps pinned again from the running program; programs attached again to pinned
	 * maps that still held recordings (those recordings are marked interrupted); leftovers removed. */
	bool repinned, reattached, cleaned;
};

void need_bpf(void);
void lock(void);
void unlock(void);
void set_pin_dir(void);
bool pinned(int pin);
bool unpin_all(void);
bool open_maps(void);
void close_maps(void);
void ensure_pins(struct attach_info *ai, bool want_attached);
void attach(struct attach_info *ai);
bool detach_if_idle(void);
void release_stamp(void);
void release_stamp_remove(void);
bool released_within(long seconds);

/* ---- targets, slots and the filter map (targets.c) ---------------------- */

/* Every slot, as read_slots last saw them. */
extern struct scr_target slot_vals[SCR_SLOTS];

bool read_slots(void);
bool find_entry(__u32 inum, struct scr_target *t, bool *in_slot);
bool take_entry(__u32 inum, struct scr_target *t);
/* take_entry, and the target's argument values into *args (false in *has_args when it has none). */
bool take_entry_args(__u32 inum, struct scr_target *t, struct scr_args *args, bool *has_args);
bool read_args(__u32 inum, struct scr_args *args);
int count_targets(void);
bool holds_targets(void);
void refresh_filter(const __u32 *removed, size_t n);
int max_targets(void);
__u32 mntns_inum(const char *path, __u64 *id);
bool host_mntns(__u32 inum);
void add_target(__u32 inum, __u64 id, __u32 flags);
/* Fill r with the recording of target inum (exit 3 when there is none); with del, take it out of the maps. */
void take_result(__u32 inum, bool del, struct result *r);

/* ---- subcommands -------------------------------------------------------- */

void reset_signals(void);                  /* commands.c */
int cmd_attach(struct opts *o);            /* commands.c */
int cmd_add(struct opts *o);
int cmd_read(struct opts *o);
int cmd_remove(struct opts *o);
int cmd_list(struct opts *o);
int cmd_detach(struct opts *o);
int cmd_detach_idle(struct opts *o);
int cmd_repair(struct opts *o);
int cmd_ns_ids(struct opts *o);
int cmd_launch(struct opts *o);
int cmd_enforce(struct opts *o);           /* enforce.c */
size_t read_oci_state(char *state);        /* hook-io.c: state holds SCR_STATE_MAX + 1 bytes */
FILE *spool_file_create(const char *tmp);
bool spool_file_commit(FILE *f, const char *tmp, const char *dst, bool sync);
int cmd_hook_prestart(struct opts *o);     /* prestart.c */
int cmd_hook_poststop(struct opts *o);     /* poststop.c */

#endif /* SCR_HELPER_H */
