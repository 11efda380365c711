// SPDX-License-Identifier: Apache-2.0
/*
 * empty-attach: load a BPF object, attach all its programs, print "attached"
 * and hold them until stdin reaches end of file (or a signal ends us).
 * Usage: empty-attach OBJECT.bpf.o
 */
#include <bpf/libbpf.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	char buf[64];

	if (argc != 2) {
		fprintf(stderr, "usage: empty-attach OBJECT.bpf.o\n");
		return 2;
	}
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj || bpf_object__load(obj) != 0) {
		fprintf(stderr, "empty-attach: cannot load %s\n", argv[1]);
		return 1;
	}
	bpf_object__for_each_program(prog, obj) {
		if (!bpf_program__attach(prog)) {
			fprintf(stderr, "empty-attach: cannot attach %s\n", bpf_program__name(prog));
			return 1;
		}
	}
	printf("attached\n");
	fflush(stdout);
	while (read(0, buf, sizeof(buf)) > 0)
		;
	return 0;
}
