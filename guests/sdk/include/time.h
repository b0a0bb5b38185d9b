/*
 * FaultTolerant guest SDK: <time.h> = picolibc's <time.h> with the clock ids
 * replaced by the Linux values (picolibc uses newlib's numbering, e.g.
 * CLOCK_MONOTONIC 4; Linux uses 1).  clock_gettime()/nanosleep() are
 * implemented by the SDK directly over the Linux syscalls (clock_gettime
 * 113, nanosleep 101); clock_getres/clock_settime/timers are not provided.
 */
#ifndef FT_TIME_H
#define FT_TIME_H

#include_next <time.h>

#undef CLOCK_REALTIME
#undef CLOCK_MONOTONIC
#undef CLOCK_PROCESS_CPUTIME_ID
#undef CLOCK_THREAD_CPUTIME_ID
#undef CLOCK_MONOTONIC_RAW
#undef CLOCK_REALTIME_COARSE
#undef CLOCK_MONOTONIC_COARSE
#undef CLOCK_BOOTTIME
#undef CLOCK_REALTIME_ALARM
#undef CLOCK_BOOTTIME_ALARM
#undef CLOCK_TAI
#undef TIMER_ABSTIME

#define CLOCK_REALTIME           ((clockid_t) 0)
#define CLOCK_MONOTONIC          ((clockid_t) 1)
#define CLOCK_PROCESS_CPUTIME_ID ((clockid_t) 2)
#define CLOCK_THREAD_CPUTIME_ID  ((clockid_t) 3)
#define CLOCK_MONOTONIC_RAW      ((clockid_t) 4)
#define CLOCK_REALTIME_COARSE    ((clockid_t) 5)
#define CLOCK_MONOTONIC_COARSE   ((clockid_t) 6)
#define CLOCK_BOOTTIME           ((clockid_t) 7)
#define CLOCK_REALTIME_ALARM     ((clockid_t) 8)
#define CLOCK_BOOTTIME_ALARM     ((clockid_t) 9)
#define CLOCK_TAI                ((clockid_t) 11)
#define TIMER_ABSTIME            1

#ifdef __cplusplus
extern "C" {
#endif
/* picolibc only declares these when _POSIX_TIMERS is configured. */
int clock_gettime(clockid_t __clock_id, struct timespec *__tp);
int nanosleep(const struct timespec *__rqtp, struct timespec *__rmtp);
#ifdef __cplusplus
}
#endif

#endif /* FT_TIME_H */
