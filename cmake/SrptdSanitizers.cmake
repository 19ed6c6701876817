# -DSRPTD_SANITIZE=ON: ASan + UBSan for the whole build (CI runs the unit
# tests this way).  UBSan aborts on the first report so ctest sees it.
function(srptd_apply_sanitizers)
	if(SRPTD_SANITIZE)
		set(_s -fsanitize=address,undefined -fno-sanitize-recover=all
			-fno-omit-frame-pointer)
		add_compile_options(${_s})
		add_link_options(${_s})
	endif()
endfunction()
