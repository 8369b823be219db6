/* proxyproto: decode and encode PROXY protocol headers from the shell, for
 * operators debugging a load balancer. This file only dispatches. */
#include <string.h>

#include "cli.h"

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

/* New commands go here and in usage() only. */
static const command commands[] = {
    {"decode", cli_decode, "parse a header and print it as JSON"},
    {"encode", cli_encode, "write a header built from options"},
    {"send", cli_send, "connect, write a header, relay stdin and stdout"},
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *out)
{
    size_t i;

    fputs("Usage: " CLI_NAME " COMMAND [options]\n"
          "       " CLI_NAME " COMMAND --help\n"
          "       " CLI_NAME " --help | --version\n"
          "\n"
          "HAProxy PROXY protocol (v1 and v2) headers.\n"
          "\n"
          "Commands:\n",
          out);
    for (i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fputs("\nExit codes: 0 ok, 1 invalid header or library error, 2 wrong "
          "usage,\n3 incomplete header (decode), 4 network error (send).\n",
          out);
}

int main(int argc, char **argv)
{
    size_t i;

    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    if (cli_opt_flag(argv[1], "--help", "-h")) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    if (cli_opt_flag(argv[1], "--version", "-V")) {
        printf(CLI_NAME " %s\n", proxyproto_version());
        return CLI_EXIT_OK;
    }
    for (i = 0; i < N_COMMANDS; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, CLI_NAME ": unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return CLI_EXIT_USAGE;
}
