// The single Boost.Test main of evlog-tests. Test cases live in the
// *_test.cpp files next to this one (found by tests/meson.build).
#ifndef BOOST_TEST_DYN_LINK
#define BOOST_TEST_DYN_LINK
#endif
#define BOOST_TEST_MODULE evlog
#include <boost/test/unit_test.hpp>
