# srptd_add_unit_test(NAME name SOURCES a.c b.c LIBS lib... [LABELS l...])
# Builds one cmocka test executable and registers it with ctest.  Tests run
# from the build directory with SRPTD_SOURCE_DIR pointing at the source tree
# (fixtures) and a private TMPDIR.
function(srptd_add_unit_test)
	cmake_parse_arguments(T "" "NAME;TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
	if(NOT T_TIMEOUT)
		set(T_TIMEOUT 300)
	endif()
	add_executable(${T_NAME} ${T_SOURCES})
	target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} ${CMOCKA_LINK_LIBRARIES}
		Threads::Threads)
	target_include_directories(${T_NAME} PRIVATE ${CMOCKA_INCLUDE_DIRS}
		${CMAKE_SOURCE_DIR}/tests/unit)
	add_test(NAME ${T_NAME} COMMAND ${T_NAME})
	set_tests_properties(${T_NAME} PROPERTIES TIMEOUT ${T_TIMEOUT}
		LABELS "unit;${T_LABELS}"
		ENVIRONMENT "SRPTD_SOURCE_DIR=${CMAKE_SOURCE_DIR};SRPTD_BUILD_DIR=${CMAKE_BINARY_DIR};CMOCKA_MESSAGE_OUTPUT=stdout")
endfunction()
