/*
 * Replays a fuzz target's corpus when the build is not linked with
 * libFuzzer, so every seed (and every crash input saved next to them) runs
 * in plain `make check`, under the sanitizers when those are enabled.
 *
 * Inputs: files named on the command line, or else every file of
 * $top_srcdir/tests/fuzz/corpus/NAME/ where the program is fuzz_NAME.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;

	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return -1;
	}
	/* Exact-size heap copy so ASan catches a read one past the input. */
	buf = malloc(n ? (size_t)n : 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	const char *top = getenv("top_srcdir");
	const char *base = strrchr(argv[0], '/');
	char dir[4096];
	struct dirent *de;
	DIR *d;
	int count = 0;

	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			if (run_file(argv[i]) < 0)
				return 1;
		return 0;
	}
	base = base ? base + 1 : argv[0];
	if (strncmp(base, "fuzz_", 5) == 0)
		base += 5;
	snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%s", top ? top : ".", base);
	d = opendir(dir);
	if (!d) {
		fprintf(stderr, "no corpus at %s: %s\n", dir, strerror(errno));
		return 1;
	}
	while ((de = readdir(d)) != NULL) {
		char path[8192];

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (run_file(path) < 0) {
			closedir(d);
			return 1;
		}
		count++;
	}
	closedir(d);
	printf("replayed %d inputs from %s\n", count, dir);
	/* An empty corpus proves nothing: fail so it gets noticed. */
	return count > 0 ? 0 : 1;
}
