/*
 * main() of every check(1) test program: run the suite the test file
 * builds in test_suite() (checkmain.h) and exit 0 when no test failed, 1
 * otherwise, as automake's test driver expects. check's own environment
 * (CK_FORK, CK_RUN_CASE, CK_DEFAULT_TIMEOUT, ...) applies as before.
 *
 * It is linked from libcheckmain.a, first in TEST_LIBS: the linker takes
 * it only into a program that has no main() of its own, so the drivers
 * of real targets (tgt_smoke, path_tgt) and the test servers keep
 * theirs.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>

#include "checkmain.h"

int main(void)
{
	SRunner *sr = srunner_create(test_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
