/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/* The iopt tool's subcommands. Each takes the arguments after its name
 * (argv[0] is the subcommand name) and returns the process exit status. */
#ifndef IOPT_TOOLS_CMDS_H
#define IOPT_TOOLS_CMDS_H

int iopt_cmd_demo(int argc, char **argv);
int iopt_cmd_replay(int argc, char **argv);
int iopt_cmd_bench(int argc, char **argv);
int iopt_cmd_formats(int argc, char **argv);
int iopt_cmd_walk(int argc, char **argv);

/*
 * tool_opt_value() - "--name VALUE" or "--name=VALUE" at argv[*i]
 * Returns 1 when argv[*i] is the option (*i then points at its last word,
 * *val at the value, or NULL when the value is missing), else 0.
 */
int tool_opt_value(int argc, char **argv, int *i, const char *name,
		   const char **val);


#endif
