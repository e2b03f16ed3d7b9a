/* cli.c -- the command-line machinery shared by the convnd tool's commands. See cli.h. */
#include "cli.h"

#include <stdarg.h>
#include <string.h>

/* The scan keeps a seen-flag per option in a fixed array (no VLA); the tables are far smaller. */
#define CLI_MAX_OPTIONS 64

int cnd_cli_fail(int code, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    for (char *p = line; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    fprintf(stderr, "convnd: %s\n", line);
    return code;
}

const cnd_cli_option *cnd_cli_find(const cnd_cli_option *options, size_t count, const char *name, size_t name_len)
{
    for (size_t i = 0; i < count; i++)
        if (strlen(options[i].name) == name_len && strncmp(options[i].name, name, name_len) == 0)
            return &options[i];
    return NULL;
}

/* The value of option o written at argv[*i] (`eq`: its '=', if any); advances *i past a value
 * given as the next argument. 0 with *value set (NULL for a flag), or CND_EXIT_USAGE. */
static int take_value(const cnd_cli_option *o, const char *eq, int argc, char **argv, int *i, const char **value)
{
    *value = NULL;
    if (o->metavar == NULL) {
        if (eq != NULL)
            return cnd_cli_fail(CND_EXIT_USAGE, "%s takes no value", o->name);
    } else if (eq != NULL) {
        *value = eq + 1;
    } else if (*i + 1 < argc && strncmp(argv[*i + 1], "--", 2) != 0) {
        *value = argv[++*i];
    } else {
        /* A following "--x" is far more likely a forgotten value than a file name; such a
         * name can still be given as --option=--x. */
        return cnd_cli_fail(CND_EXIT_USAGE, "%s needs a value (%s)", o->name, o->metavar);
    }
    if (*value != NULL && (*value)[0] == '\0')
        return cnd_cli_fail(CND_EXIT_USAGE, "%s: empty value", o->name);
    return 0;
}

int cnd_cli_scan(const cnd_cli_command *cmd, int argc, char **argv, cnd_cli_take_fn take, void *ctx)
{
    unsigned char seen[CLI_MAX_OPTIONS] = {0};
    if (cmd->option_count > CLI_MAX_OPTIONS) /* a table grown past the array: a bug, not a user error */
        return cnd_cli_fail(CND_EXIT_USAGE, "%s: more than %d options in the table", cmd->name, CLI_MAX_OPTIONS);
    const char *name = cmd->name;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (strncmp(arg, "--", 2) != 0)
            return cnd_cli_fail(CND_EXIT_USAGE, "%s: unexpected argument '%s' (see convnd %s --help)", name, arg, name);
        const char *eq = strchr(arg, '=');
        size_t name_len = eq ? (size_t)(eq - arg) : strlen(arg);
        const cnd_cli_option *o = cnd_cli_find(cmd->options, cmd->option_count, arg, name_len);
        if (o == NULL)
            return cnd_cli_fail(CND_EXIT_USAGE, "%s: unknown option '%.*s' (see convnd %s --help)", name,
                                (int)name_len, arg, name);
        if (!(o->commands & cmd->bit))
            return cnd_cli_fail(CND_EXIT_USAGE, "%s is not an option of '%s' (see convnd %s --help)", o->name, name,
                                name);
        if (seen[o - cmd->options]++)
            return cnd_cli_fail(CND_EXIT_USAGE, "%s is given twice", o->name);
        const char *value;
        int rc = take_value(o, eq, argc, argv, &i, &value);
        if (rc == 0)
            rc = take(ctx, o, value);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int cnd_cli_take_geometry(cnd_geometry_args *ga, const char *name, const char *value)
{
    char msg[256]; /* the scan already took the value from argv: `consumed` is not needed */
    int rc = cnd_geometry_args_take(ga, name, value, NULL, msg, sizeof msg);
    if (rc < 0)
        return cnd_cli_fail(CND_EXIT_USAGE, "%s", msg);
    if (rc == 0) /* the table and args.c disagree: a bug, not a user error */
        return cnd_cli_fail(CND_EXIT_USAGE, "%s: not a GEOMETRY option of args.c", name);
    return 0;
}

int cnd_cli_wants_help(int argc, char **argv)
{
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;
    return 0;
}

static void print_entry(FILE *out, const char *head, const char *help)
{
    fprintf(out, "  %-22s ", head);
    for (const char *p = help; *p; p++) {
        fputc(*p, out);
        if (*p == '\n')
            fprintf(out, "  %-22s ", "");
    }
    fputc('\n', out);
}

void cnd_cli_print_option(FILE *out, const cnd_cli_option *o)
{
    char head[64];
    snprintf(head, sizeof head, "%s%s%s", o->name, o->metavar ? " " : "", o->metavar ? o->metavar : "");
    print_entry(out, head, o->help);
}

void cnd_cli_print_help_option(FILE *out)
{
    print_entry(out, "--help, -h", "this help");
    fputc('\n', out);
}
