// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/*
 * Replays saved inputs through fuzz targets without libFuzzer, as TAP.
 *
 *   fuzz_ops [PATH...]
 *
 * Each PATH is an input file or a directory of them (files whose names start
 * with '.' are ignored; a directory is read in name order). With no PATH the
 * target's committed corpus is used: FUZZ_CORPUS, set when compiling, under
 * $IOPT_FUZZ_CORPUS if that is set. One test point per input, then
 * "N passed, N failed"; exit status 0 when nothing failed.
 *
 * Every input runs in a child process (where fork() exists), so an input
 * that makes a check abort(), crashes, or runs past IOPT_FUZZ_TIMEOUT
 * seconds (default 60) is reported as "not ok" and the rest still run. Set
 * IOPT_FUZZ_NOFORK=1 to run them in this process instead (for a debugger).
 *
 * tests/test_fuzz_corpus.c defines FUZZ_REPLAY_NO_MAIN and uses
 * fuzz_replay() to run several targets' corpora in one program.
 */
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#if defined(__unix__) || defined(__APPLE__)
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#define FUZZ_HAVE_FORK 1
#endif

typedef int (*fuzz_entry_fn)(const uint8_t *data, size_t size);

struct fuzz_replay_target {
	const char *name;      /* shown in test point names */
	fuzz_entry_fn entry;
	const char *corpus;    /* default directory, relative to the corpus root */
};

struct fuzz_replay_item {
	const struct fuzz_replay_target *target;
	char *path;
	const char *error;     /* not NULL: the path could not be used */
};

struct fuzz_replay_list {
	struct fuzz_replay_item *v;
	size_t nr, cap;
};

int fuzz_replay(const struct fuzz_replay_target *targets, size_t ntargets,
		int npaths, char **paths);

static char *fuzz_replay_strdup(const char *a, const char *b)
{
	size_t la = strlen(a), lb = b ? strlen(b) : 0;
	char *s = malloc(la + lb + 2);

	if (!s) {
		printf("Bail out! out of memory\n");
		exit(2);
	}
	memcpy(s, a, la);
	if (b) {
		s[la] = '/';
		memcpy(s + la + 1, b, lb + 1);
	} else {
		s[la] = '\0';
	}
	return s;
}

static void fuzz_replay_add(struct fuzz_replay_list *l,
			    const struct fuzz_replay_target *t, char *path,
			    const char *error)
{
	if (l->nr == l->cap) {
		size_t n = l->cap ? 2 * l->cap : 64;
		struct fuzz_replay_item *v = realloc(l->v, n * sizeof(*v));

		if (!v) {
			printf("Bail out! out of memory\n");
			exit(2);
		}
		l->v = v;
		l->cap = n;
	}
	l->v[l->nr].target = t;
	l->v[l->nr].path = path;
	l->v[l->nr].error = error;
	l->nr++;
}

static int fuzz_replay_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A file, or every file of a directory (not recursive), in name order. */
static void fuzz_replay_collect(struct fuzz_replay_list *l,
				const struct fuzz_replay_target *t,
				const char *path)
{
	struct stat st;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;
	DIR *d;

	if (stat(path, &st)) {
		fuzz_replay_add(l, t, fuzz_replay_strdup(path, NULL),
				strerror(errno));
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		fuzz_replay_add(l, t, fuzz_replay_strdup(path, NULL), NULL);
		return;
	}
	d = opendir(path);
	if (!d) {
		fuzz_replay_add(l, t, fuzz_replay_strdup(path, NULL),
				strerror(errno));
		return;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			char **v;

			cap = cap ? 2 * cap : 64;
			v = realloc(names, cap * sizeof(*v));
			if (!v) {
				printf("Bail out! out of memory\n");
				exit(2);
			}
			names = v;
		}
		names[n++] = fuzz_replay_strdup(path, de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), fuzz_replay_cmp);
	for (size_t i = 0; i < n; i++) {
		if (stat(names[i], &st) || S_ISDIR(st.st_mode)) {
			free(names[i]);
			continue;
		}
		fuzz_replay_add(l, t, names[i], NULL);
	}
	free(names);
	if (!n)
		fuzz_replay_add(l, t, fuzz_replay_strdup(path, NULL),
				"no inputs in this directory");
}

/* The whole file; NULL (with a reason printed) if it cannot be read. */
static uint8_t *fuzz_replay_read(const char *path, size_t *size)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t n = 0, cap = 0;

	if (!fp) {
		printf("# %s: %s\n", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		size_t got;

		if (n == cap) {
			uint8_t *v;

			cap = cap ? 2 * cap : 4096;
			v = realloc(buf, cap);
			if (!v) {
				free(buf);
				fclose(fp);
				printf("# %s: out of memory\n", path);
				return NULL;
			}
			buf = v;
		}
		got = fread(buf + n, 1, cap - n, fp);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(fp)) {
		printf("# %s: read error\n", path);
		free(buf);
		fclose(fp);
		return NULL;
	}
	fclose(fp);
	*size = n;
	return buf;
}

/* Run one input. Returns NULL when it passed, else why it failed. */
static const char *fuzz_replay_one(fuzz_entry_fn entry, const uint8_t *data,
				   size_t size, char *why, size_t why_len)
{
#ifdef FUZZ_HAVE_FORK
	const char *nofork = getenv("IOPT_FUZZ_NOFORK");
	const char *tmo = getenv("IOPT_FUZZ_TIMEOUT");
	unsigned int timeout = tmo && *tmo ? (unsigned int)strtoul(tmo, NULL, 0) : 60;
	int status;
	pid_t pid;

	if (!nofork || !*nofork || !strcmp(nofork, "0")) {
		fflush(NULL);
		pid = fork();
		if (pid < 0) {
			snprintf(why, why_len, "fork: %s", strerror(errno));
			return why;
		}
		if (pid == 0) {
			alarm(timeout);
			entry(data, size);
			fflush(NULL);
			exit(0);
		}
		while (waitpid(pid, &status, 0) < 0) {
			if (errno != EINTR) {
				snprintf(why, why_len, "waitpid: %s",
					 strerror(errno));
				return why;
			}
		}
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			return NULL;
		if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
			snprintf(why, why_len, "timed out after %u s", timeout);
		else if (WIFSIGNALED(status))
			snprintf(why, why_len, "killed by signal %d%s",
				 WTERMSIG(status),
				 WTERMSIG(status) == SIGABRT ? " (a check failed)" : "");
		else
			snprintf(why, why_len, "exit status %d",
				 WEXITSTATUS(status));
		return why;
	}
#endif
	(void)why;
	(void)why_len;
	entry(data, size); /* a failing check aborts the whole program */
	return NULL;
}

int fuzz_replay(const struct fuzz_replay_target *targets, size_t ntargets,
		int npaths, char **paths)
{
	struct fuzz_replay_list l = { 0 };
	const char *root = getenv("IOPT_FUZZ_CORPUS");
	unsigned int passed = 0, failed = 0;
	char why[128];

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (npaths > 0) {
		for (int i = 0; i < npaths; i++)
			fuzz_replay_collect(&l, &targets[0], paths[i]);
	} else {
		for (size_t k = 0; k < ntargets; k++) {
			char *dir = fuzz_replay_strdup(root && *root ? root :
						       "tests/fuzz/corpus",
						       targets[k].corpus);

			fuzz_replay_collect(&l, &targets[k], dir);
			free(dir);
		}
	}
	printf("1..%zu\n", l.nr);
	for (size_t i = 0; i < l.nr; i++) {
		const struct fuzz_replay_item *it = &l.v[i];
		const char *bad = it->error;
		size_t size = 0;
		uint8_t *data = NULL;

		if (!bad) {
			data = fuzz_replay_read(it->path, &size);
			if (!data)
				bad = "unreadable";
		}
		if (!bad)
			bad = fuzz_replay_one(it->target->entry, data, size, why,
					      sizeof(why));
		free(data);
		if (bad) {
			printf("not ok %zu - %s %s: %s\n", i + 1,
			       it->target->name, it->path, bad);
			failed++;
		} else {
			printf("ok %zu - %s %s\n", i + 1, it->target->name,
			       it->path);
			passed++;
		}
		free(it->path);
	}
	free(l.v);
	printf("%u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}

#ifndef FUZZ_REPLAY_NO_MAIN
#ifndef FUZZ_NAME
#define FUZZ_NAME "fuzz"
#endif
#ifndef FUZZ_CORPUS
#define FUZZ_CORPUS FUZZ_NAME
#endif

int main(int argc, char **argv)
{
	static const struct fuzz_replay_target target = {
		FUZZ_NAME, LLVMFuzzerTestOneInput, FUZZ_CORPUS,
	};

	return fuzz_replay(&target, 1, argc - 1, argv + 1);
}
#endif
