// SPDX-License-Identifier: Apache-2.0
/*
 * empty-attach: load a BPF object, attach its program NAME, print "attached"
 * and hold it until stdin reaches end of file (or a signal ends us).
 * Usage: empty-attach OBJECT.bpf.o NAME
 */
#include <bpf/libbpf.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	char buf[64];

	if (argc != 3) {
		fprintf(stderr, "usage: empty-attach OBJECT.bpf.o NAME\n");
		return 2;
	}
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		fprintf(stderr, "empty-attach: cannot open %s\n", argv[1]);
		return 1;
	}
	/* Load only the one program: the others would be loaded for nothing. */
	bpf_object__for_each_program(prog, obj)
		bpf_program__set_autoload(prog, !strcmp(bpf_program__name(prog), argv[2]));
	prog = bpf_object__find_program_by_name(obj, argv[2]);
	if (!prog || bpf_object__load(obj) != 0) {
		fprintf(stderr, "empty-attach: cannot load %s from %s\n", argv[2], argv[1]);
		return 1;
	}
	if (!bpf_program__attach(prog)) {
		fprintf(stderr, "empty-attach: cannot attach %s\n", argv[2]);
		return 1;
	}
	printf("attached\n");
	fflush(stdout);
	while (read(0, buf, sizeof(buf)) > 0)
		;
	return 0;
}
