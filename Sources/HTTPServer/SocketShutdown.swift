#if canImport(Glibc)
import Glibc
#endif

/// Ends both directions of a connection's socket: MHD then sees it closed and lets the connection
/// go. In a file of its own, importing Glibc alone: where a C module that includes
/// <sys/socket.h> is imported too (CMicroHTTPD), SHUT_RDWR is not always found.
func shutdownSocket(_ fd: Int32) {
    shutdown(fd, Int32(SHUT_RDWR))
}
