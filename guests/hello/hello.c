/*
 * hello: prints a greeting, then each argument argv[1..] on its own line,
 * then the FT_GREETING environment variable if it is set.  Exit status 0.
 *
 *   hello [ARG...]
 */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    printf("Hello from a FaultTolerant guest!\n");
    for (int i = 1; i < argc; i++)
        printf("arg %d: %s\n", i, argv[i]);
    const char *greeting = getenv("FT_GREETING");
    if (greeting != NULL)
        printf("FT_GREETING: %s\n", greeting);
    return 0;
}
