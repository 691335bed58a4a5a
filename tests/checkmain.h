/*
 * The one main() of the check(1) test programs (tests/checkmain.c). A test
 * file defines test_suite() and no main(): it builds the file's suite (as
 * many test cases as it likes) and does any process-wide set-up its tests
 * need (a log hook, a debug mask) before the suite runs.
 */
#ifndef ISN_TESTS_CHECKMAIN_H
#define ISN_TESTS_CHECKMAIN_H

#include <check.h>

Suite *test_suite(void);

#endif
