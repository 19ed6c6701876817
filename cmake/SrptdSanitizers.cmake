# -DSRPTD_SANITIZE=ON: ASan + UBSan for the whole build (CI runs the unit
# tests this way).  UBSan aborts on the first report so ctest sees it.
# -DSRPTD_TSAN=ON: ThreadSanitizer instead (it cannot be combined with
# ASan); a report makes the process exit non-zero at the latest when it
# ends (TSan's exitcode, 66), so ctest sees it too.
function(srptd_apply_sanitizers)
	if(SRPTD_SANITIZE AND SRPTD_TSAN)
		message(FATAL_ERROR "SRPTD_SANITIZE and SRPTD_TSAN exclude each other")
	endif()
	if(SRPTD_SANITIZE)
		set(_s -fsanitize=address,undefined -fno-sanitize-recover=all
			-fno-omit-frame-pointer)
		add_compile_options(${_s})
		add_link_options(${_s})
	endif()
	if(SRPTD_TSAN)
		set(_s -fsanitize=thread -fno-omit-frame-pointer)
		add_compile_options(${_s})
		add_link_options(${_s})
	endif()
endfunction()
