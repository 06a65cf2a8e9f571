// The one translation unit that compiles Asio, Asio's SSL layer and Beast
// (BOOST_ASIO_SEPARATE_COMPILATION / BOOST_BEAST_SEPARATE_COMPILATION): every other
// file includes only the headers, which keeps rebuilds of I/O code fast on a 2-core box.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
