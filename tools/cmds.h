/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/* The iopt tool's subcommands. Each takes the arguments after its name
 * (argv[0] is the subcommand name) and returns the process exit status. */
#ifndef IOPT_TOOLS_CMDS_H
#define IOPT_TOOLS_CMDS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <iopt/iopt.h>

int iopt_cmd_demo(int argc, char **argv);
int iopt_cmd_replay(int argc, char **argv);
int iopt_cmd_bench(int argc, char **argv);
int iopt_cmd_formats(int argc, char **argv);
int iopt_cmd_walk(int argc, char **argv);
int iopt_cmd_dump(int argc, char **argv);

/*
 * tool_opt_value() - "--name VALUE" or "--name=VALUE" at argv[*i]
 * Returns 1 when argv[*i] is the option (*i then points at its last word,
 * *val at the value, or NULL when the value is missing), else 0.
 */
int tool_opt_value(int argc, char **argv, int *i, const char *name,
		   const char **val);

/* "iopt CMD: MESSAGE" and @usage on stderr; returns 2, the usage status. */
__attribute__((format(printf, 3, 4)))
int tool_usage_error(const char *cmd, void (*usage)(FILE *f),
		     const char *fmt, ...);


/*
 * Print the tree of the table whose root is at @root in the @count bytes
 * at @bytes (physical @base), built with @cfg (named @name), as `iopt
 * dump` does (text, or one JSON object with @json) on @out. Return: 0; 1
 * when the tables are damaged (also reported on stderr); 2 when the
 * simulated IOMMU cannot walk @cfg.
 */
int iopt_dump_image(FILE *out, const char *name, const struct iopt_config *cfg,
		    uint64_t root, uint64_t base, const void *bytes,
		    size_t count, bool json);

#endif
