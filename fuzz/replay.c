/* replay: runs a fuzz target's LLVMFuzzerTestOneInput() over files, without
 * libFuzzer (built with the ordinary compiler, -DFUZZ_REPLAY; see
 * fuzz/fuzz.mk). Each file is fed three times: in a malloc'd buffer of its
 * exact size (for sanitizer builds), copied so that it ends right before an
 * unreadable page, and copied right after one; an over- or under-read of
 * the input then faults, sanitizer or not.
 *
 *   replay_parse fuzz/corpus/parse [more dirs or files ...]
 *
 * Exits 0 when every input ran; a broken invariant aborts (the file being
 * run was printed just before, with -v, or is named by the abort handler). */
#define _DEFAULT_SOURCE
#include "fuzz.h"

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>

static const char *current; /* the file being run, for the crash message */
static int verbose;

static void on_crash(int sig)
{
    static const char msg[] = "replay: crashed on ";
    ssize_t w;

    w = write(2, msg, sizeof msg - 1);
    if (current != NULL)
        w = write(2, current, strlen(current));
    w = write(2, "\n", 1);
    (void)w;
    signal(sig, SIG_DFL);
    raise(sig);
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t cap = 0, n = 0, k;

    if (f == NULL) {
        perror(path);
        exit(2);
    }
    do {
        if (n == cap) {
            uint8_t *nb;
            cap = cap ? 2 * cap : 4096;
            nb = realloc(buf, cap);
            if (nb == NULL) {
                fprintf(stderr, "replay: out of memory\n");
                exit(2);
            }
            buf = nb;
        }
        k = fread(buf + n, 1, cap - n, f);
        n += k;
    } while (k > 0);
    fclose(f);
    *len = n;
    return buf;
}

static unsigned long run_file(const char *path)
{
    size_t n;
    uint8_t *data = read_file(path, &n), *exact;

    current = path;
    if (verbose)
        fprintf(stderr, "replay: %s (%zu bytes)\n", path, n);
    exact = malloc(n ? n : 1);
    if (exact == NULL) {
        fprintf(stderr, "replay: out of memory\n");
        exit(2);
    }
    memcpy(exact, data, n);
    LLVMFuzzerTestOneInput(exact, n);
    free(exact);
    if (n <= FUZZ_MAX) {
        /* Slot 0 is the replay's own; the targets use slots 1 and up. */
        uint8_t *g = fuzz_buf(0, n);
        memcpy(g, data, n);
        LLVMFuzzerTestOneInput(g, n);
        g = fuzz_buf_at_start(0, n);
        memcpy(g, data, n);
        LLVMFuzzerTestOneInput(g, n);
    }
    free(data);
    current = NULL;
    return 1;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static unsigned long run_path(const char *path)
{
    struct stat st;
    DIR *d;
    struct dirent *e;
    char **names = NULL;
    size_t count = 0, cap = 0, i;
    unsigned long done = 0;

    if (stat(path, &st) != 0) {
        perror(path);
        exit(2);
    }
    if (!S_ISDIR(st.st_mode))
        return run_file(path);
    d = opendir(path);
    if (d == NULL) {
        perror(path);
        exit(2);
    }
    while ((e = readdir(d)) != NULL) {
        size_t len;
        if (e->d_name[0] == '.')
            continue;
        if (count == cap) {
            char **nn;
            cap = cap ? 2 * cap : 64;
            nn = realloc(names, cap * sizeof *names);
            if (nn == NULL) {
                fprintf(stderr, "replay: out of memory\n");
                exit(2);
            }
            names = nn;
        }
        len = strlen(path) + strlen(e->d_name) + 2;
        names[count] = malloc(len);
        if (names[count] == NULL) {
            fprintf(stderr, "replay: out of memory\n");
            exit(2);
        }
        snprintf(names[count], len, "%s/%s", path, e->d_name);
        count++;
    }
    closedir(d);
    if (count > 0)
        qsort(names, count, sizeof *names, by_name);
    for (i = 0; i < count; i++) {
        done += run_path(names[i]);
        free(names[i]);
    }
    free(names);
    return done;
}

/* Under AddressSanitizer its own handler reports faults (with a stack):
 * keep it. */
#if defined(__SANITIZE_ADDRESS__)
#define REPLAY_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define REPLAY_ASAN 1
#endif
#endif

int main(int argc, char **argv)
{
    unsigned long files = 0;
    int i;

#ifndef REPLAY_ASAN
    signal(SIGSEGV, on_crash);
    signal(SIGBUS, on_crash);
#endif
    signal(SIGABRT, on_crash);
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-v") == 0) {
            verbose = 1;
            continue;
        }
        if (argv[i][0] == '-')
            continue; /* libFuzzer-style flags are ignored */
        files += run_path(argv[i]);
    }
    printf("replay %s: %lu inputs, each whole, at an unreadable page's start "
           "and end: ok\n", argc > 0 ? argv[0] : "", files);
    return 0;
}
