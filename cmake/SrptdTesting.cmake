# srptd_add_unit_test(NAME name SOURCES a.c b.c LIBS lib... [LABELS l...]
#                     [WRAPPER cmd...])
# Builds one cmocka test executable and registers it with ctest (run as
# "cmd... executable" with WRAPPER, e.g. tests/lib/ceph-cluster.sh run --).  Tests run
# from the build directory with SRPTD_SOURCE_DIR pointing at the source tree
# (fixtures) and a private TMPDIR, <build>/Testing/tmp/<name>, made at
# configure time and again by the test (tests/lib/test_skip.c).
# Every test is linked with tests/lib/test_skip.c: a test that cannot run
# what it names calls SRPTD_SKIP("why") and exits 77, which ctest reports
# as skipped, never passed (doc/testing.md).
set(SRPTD_TEST_SKIP_RETURN_CODE 77)

function(srptd_add_unit_test)
	cmake_parse_arguments(T "" "NAME;TIMEOUT" "SOURCES;LIBS;LABELS;WRAPPER"
		${ARGN})
	if(NOT T_TIMEOUT)
		set(T_TIMEOUT 300)
	endif()
	add_executable(${T_NAME} ${T_SOURCES}
		${CMAKE_SOURCE_DIR}/tests/lib/test_skip.c)
	target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} ${CMOCKA_LINK_LIBRARIES}
		Threads::Threads)
	target_include_directories(${T_NAME} PRIVATE ${CMOCKA_INCLUDE_DIRS}
		${CMAKE_SOURCE_DIR}/tests/unit ${CMAKE_SOURCE_DIR}/tests/lib)
	srptd_register_test(NAME ${T_NAME}
		COMMAND ${T_WRAPPER} $<TARGET_FILE:${T_NAME}>
		TIMEOUT ${T_TIMEOUT} LABELS "unit;${T_LABELS}"
		ENVIRONMENT "CMOCKA_MESSAGE_OUTPUT=stdout")
endfunction()

# srptd_register_test(NAME name COMMAND cmd... [TIMEOUT s] [LABELS l...]
#                     [ENVIRONMENT VAR=value...])
# add_test() with what every srptd test gets: SRPTD_SOURCE_DIR,
# SRPTD_BUILD_DIR, its own TMPDIR and exit status 77 meaning "skipped".
function(srptd_register_test)
	cmake_parse_arguments(T "" "NAME;TIMEOUT" "COMMAND;LABELS;ENVIRONMENT"
		${ARGN})
	if(NOT T_TIMEOUT)
		set(T_TIMEOUT 300)
	endif()
	set(_tmp ${CMAKE_BINARY_DIR}/Testing/tmp/${T_NAME})
	file(MAKE_DIRECTORY ${_tmp})
	set(_env SRPTD_SOURCE_DIR=${CMAKE_SOURCE_DIR}
		SRPTD_BUILD_DIR=${CMAKE_BINARY_DIR} TMPDIR=${_tmp}
		${T_ENVIRONMENT})
	add_test(NAME ${T_NAME} COMMAND ${T_COMMAND})
	set_tests_properties(${T_NAME} PROPERTIES TIMEOUT ${T_TIMEOUT}
		LABELS "${T_LABELS}"
		SKIP_RETURN_CODE ${SRPTD_TEST_SKIP_RETURN_CODE}
		ENVIRONMENT "${_env}")
endfunction()
