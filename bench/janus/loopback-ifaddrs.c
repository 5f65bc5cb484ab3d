/*
 * LD_PRELOAD shim for the loopback-only Janus benchmark (start.sh builds and loads it).
 *
 * Janus 1.1.2 gathers ICE host candidates from getifaddrs() and skips every interface flagged
 * IFF_LOOPBACK (src/ice.c, janus_ice_setup_local); libnice's own fallback skips loopback too. So no
 * configuration (ice_enforce_list, nat_1_1_mapping, interface) gives a 127.0.0.1 candidate: with
 * ice_enforce_list = "lo" it falls back to the machine's other addresses instead. This shim hands
 * Janus the same interface list with IFF_LOOPBACK cleared on IPv4 loopback addresses, so "lo" /
 * 127.0.0.1 passes the check and the enforce list keeps it the only one. Nothing else changes: no
 * interface is added to the machine, and no traffic leaves 127.0.0.1.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

int getifaddrs(struct ifaddrs **ifap) {
	static int (*real)(struct ifaddrs **) = NULL;
	if(real == NULL)
		real = (int (*)(struct ifaddrs **))dlsym(RTLD_NEXT, "getifaddrs");
	int result = real(ifap);
	if(result != 0)
		return result;
	for(struct ifaddrs *ifa = *ifap; ifa != NULL; ifa = ifa->ifa_next) {
		if(ifa->ifa_addr != NULL && ifa->ifa_addr->sa_family == AF_INET && (ifa->ifa_flags & IFF_LOOPBACK) &&
				(ntohl(((struct sockaddr_in *)ifa->ifa_addr)->sin_addr.s_addr) >> 24) == 127)
			ifa->ifa_flags &= ~IFF_LOOPBACK;
	}
	return 0;
}
