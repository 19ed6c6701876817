# Warning set modelled on rdma-core's top-level CMakeLists.txt.
function(srptd_apply_warnings)
	set(_w -Wall -Wextra -Wno-sign-compare -Wno-unused-parameter
		-Wmissing-prototypes -Wmissing-declarations -Wwrite-strings
		-Wformat=2 -Wformat-nonliteral -Wdate-time -Wnested-externs
		-Wstrict-prototypes -Wold-style-definition -Wredundant-decls
		-Wshadow -Wpointer-arith -Wundef -Wvla)
	if(SRPTD_WERROR)
		list(APPEND _w -Werror)
	endif()
	add_compile_options(${_w})
	add_compile_definitions(_GNU_SOURCE)
	# For link steps that compile (link-time optimisation,
	# cmake/SrptdLto.cmake).
	set(SRPTD_WARNING_FLAGS ${_w} PARENT_SCOPE)
endfunction()
