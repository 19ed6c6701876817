# -DSRPTD_LTO=ON: link-time optimisation (CMake's
# INTERPROCEDURAL_OPTIMIZATION) for the programs that ship (srptd,
# srptadm) and for the benchmarks, which must measure what ships
# (doc/performance.md "Host loopback guard"), never for the unit tests
# or fuzzers: those would be optimised again at every link.
#
# The layer libraries (src/CMakeLists.txt) are linked by both kinds of
# program, so with GCC they hold fat LTO objects (-ffat-lto-objects):
# GIMPLE for the LTO links and ordinary code for the others, which link
# with -fno-lto.  CMake archives them with gcc-ar when the property is
# set (CMAKE_C_ARCHIVE_CREATE_IPO).
#
# GCC only.  clang 14 has no fat LTO objects: its -flto archives hold
# bitcode alone, which every test program would then have to link with
# LTO as well (or each layer would be compiled twice).  SRPTD_LTO=ON
# with another compiler is a configuration error.
#
# Default: ON for optimised builds (Release, RelWithDebInfo, MinSizeRel)
# with GCC, OFF for Debug and for sanitizer and fuzzer builds, where
# the point is the checks, not the speed.  Packagers who pass their
# own flags (Debian's CMAKE_BUILD_TYPE=None) say SRPTD_LTO=ON
# themselves (debian/rules).

include(CheckIPOSupported)

function(srptd_lto_option)
	set(_default OFF)
	if(CMAKE_C_COMPILER_ID STREQUAL "GNU" AND
			CMAKE_BUILD_TYPE MATCHES "^(Release|RelWithDebInfo|MinSizeRel)$"
			AND NOT SRPTD_SANITIZE AND NOT SRPTD_TSAN AND NOT SRPTD_FUZZ)
		set(_default ON)
	endif()
	option(SRPTD_LTO "Link-time optimisation of srptd, srptadm and the benchmarks (GCC)"
		${_default})
	if(NOT SRPTD_LTO)
		return()
	endif()
	if(NOT CMAKE_C_COMPILER_ID STREQUAL "GNU")
		message(FATAL_ERROR "SRPTD_LTO=ON needs GCC (fat LTO objects; "
			"cmake/SrptdLto.cmake): configure with -DSRPTD_LTO=OFF")
	endif()
	check_ipo_supported(RESULT _ok OUTPUT _out LANGUAGES C)
	if(NOT _ok)
		message(FATAL_ERROR "SRPTD_LTO=ON but the toolchain cannot do "
			"link-time optimisation: ${_out}")
	endif()
	# GCC's linker plugin optimises fat objects at link time even when
	# the link has no -flto (gcc 12: every test link ran lto1), so every
	# other program links their ordinary code with -fno-lto.
	add_link_options("$<$<NOT:$<BOOL:$<TARGET_PROPERTY:INTERPROCEDURAL_OPTIMIZATION>>>:-fno-lto>")
endfunction()

# A static library linked by LTO programs and by ordinary ones.
function(srptd_lto_library _target)
	if(SRPTD_LTO)
		set_property(TARGET ${_target} PROPERTY INTERPROCEDURAL_OPTIMIZATION ON)
		# After CMake's -fno-fat-lto-objects: the last one counts.
		target_compile_options(${_target} PRIVATE -ffat-lto-objects)
	endif()
endfunction()

# A program that ships or a benchmark: optimised across its libraries.
# The link compiles again, and GCC's warnings that depend on inlining
# (-Wstringop-overflow, -Wmaybe-uninitialized, ...) may come only then:
# GCC's manual (-flto) asks for the compile options at link time too,
# so the warning set and -Werror (cmake/SrptdWarnings.cmake) apply
# there as well.
function(srptd_lto_executable _target)
	if(SRPTD_LTO)
		set_property(TARGET ${_target} PROPERTY INTERPROCEDURAL_OPTIMIZATION ON)
		target_link_options(${_target} PRIVATE ${SRPTD_WARNING_FLAGS})
	endif()
endfunction()
