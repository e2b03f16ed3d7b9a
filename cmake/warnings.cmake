# Warning flags for every target of this project; CI builds with CONVND_WERROR=ON.
set(CONVND_WARNING_FLAGS -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
    -Wpointer-arith -Wformat=2 -Wvla)
if(CONVND_WERROR)
  list(APPEND CONVND_WARNING_FLAGS -Werror)
endif()
if(CONVND_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
