/* cli.h -- the command-line machinery every command of the convnd tool shares (main.c: forward,
 * backward, demo; bench.c: bench, peak): the one-line error messages, the option tables and
 * their help lines, and the scan of --name / --name=value / --name value arguments. What an
 * option means stays with its command: the scan hands each accepted option to a callback. */
#ifndef CONVND_TOOL_CLI_H
#define CONVND_TOOL_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "args.h"

#ifndef CND_PRINTF
#if defined(__GNUC__)
#define CND_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define CND_PRINTF(f, a)
#endif
#endif

/* The tool's exit statuses besides 0. */
enum { CND_EXIT_DATA = 1, CND_EXIT_USAGE = 2 };

/* Prints "convnd: MESSAGE" on stderr as exactly one line (control characters, e.g. from a file
 * name, become '?') and returns `code`, so that callers can `return cnd_cli_fail(...)`. */
int cnd_cli_fail(int code, const char *fmt, ...) CND_PRINTF(2, 3);

typedef struct cnd_cli_option {
    const char *name;    /* "--name" */
    const char *metavar; /* NULL: a flag without value */
    unsigned commands;   /* bits of the table's commands: where the option is accepted */
    int tag;             /* the table's own use: a file slot, an option id */
    const char *help;    /* lines after the first are indented by cnd_cli_print_option */
} cnd_cli_option;

/* A command as the scan sees it: its name (for the messages), its bit in the `commands` of
 * the options, and the table its options come from. */
typedef struct cnd_cli_command {
    const char *name;
    unsigned bit;
    const cnd_cli_option *options;
    size_t option_count;
} cnd_cli_command;

/* The option of the table named exactly by the first name_len characters of `name`, or NULL. */
const cnd_cli_option *cnd_cli_find(const cnd_cli_option *options, size_t count, const char *name, size_t name_len);

/* Receives an accepted option and its value (NULL for a flag, else never empty); returns 0, or
 * the exit status after it has printed its message. */
typedef int (*cnd_cli_take_fn)(void *ctx, const cnd_cli_option *o, const char *value);

/* Walks argv (the arguments after the command name): every argument must be an option of the
 * command, given at most once, with a value exactly when it has a metavar. Returns 0, the first
 * nonzero return of `take`, or CND_EXIT_USAGE after printing the usage error. */
int cnd_cli_scan(const cnd_cli_command *cmd, int argc, char **argv, cnd_cli_take_fn take, void *ctx);

/* Hands a GEOMETRY option (args.c) to `ga`; 0, or CND_EXIT_USAGE after printing the message. */
int cnd_cli_take_geometry(cnd_geometry_args *ga, const char *name, const char *value);

/* Whether --help or -h is among the arguments: it wins over every error in the others. */
int cnd_cli_wants_help(int argc, char **argv);

/* One option's help: "  --name METAVAR" padded to a column, then the help text. */
void cnd_cli_print_option(FILE *out, const cnd_cli_option *o);

/* The "--help, -h" line that ends every command's option list, and the blank line after it. */
void cnd_cli_print_help_option(FILE *out);

#endif
