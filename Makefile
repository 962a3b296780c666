# Strata: the user's entry point. `sudo make demo` and `sudo make test` do everything.
SHELL := /bin/bash
DOTNET ?= dotnet
OUT := out
PREFIX ?= /usr/local
CONFIGURATION ?= Release
RESULTS := TestResults

# Debian packages the project uses: the kernel tools it drives and the reference tools it is tested against.
DEBIAN_PACKAGES := iproute2 iptables nftables ipset conntrack tcpdump iperf3 bind9-dnsutils \
	containernetworking-plugins nginx curl iputils-ping procps etcd-server bind9 dnsperf wrk

.PHONY: all deps build install demo test bench clean

all: build

deps:
	@missing=$$(for p in $(DEBIAN_PACKAGES); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed$$' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "deps: installing" $$missing; \
	  if [ "$$(id -u)" != 0 ]; then echo "deps: needs root (sudo make ...)" >&2; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	else echo "deps: all Debian packages present"; fi

# The CLI as a framework-dependent single file, out/strata; the CNI plugins as one NativeAOT
# executable, out/cni/strata-cni, linked under each plugin's name (out/cni/bridge, ...).
build:
	$(DOTNET) publish src/Strata.Cli/Strata.Cli.csproj -c $(CONFIGURATION) -o $(OUT) --nologo -v quiet \
	  -p:PublishSingleFile=true --self-contained false -p:DebugType=embedded
	@echo "build: $(OUT)/strata"
	$(DOTNET) publish src/Strata.Cni.Plugins/Strata.Cni.Plugins.csproj -c $(CONFIGURATION) -o $(OUT)/cni --nologo -v quiet
	rm -f $(OUT)/cni/*.dbg $(OUT)/cni/*.pdb
	cd $(OUT)/cni && for plugin in $$(./strata-cni --list); do ln -sfn strata-cni $$plugin; done
	@echo "build: $(OUT)/cni/{$$(cd $(OUT)/cni && ./strata-cni --list | paste -sd,)}"

install: build
	ln -sf $(CURDIR)/$(OUT)/strata $(PREFIX)/bin/strata
	@echo "install: $(PREFIX)/bin/strata -> $(CURDIR)/$(OUT)/strata"

demo: deps install
	strata demo

test: deps build
	rm -rf $(RESULTS)
	$(DOTNET) build Strata.slnx -c $(CONFIGURATION) --nologo -v quiet
	# -m:1 runs the test assemblies one after another: several of them create and count
	# strata-* namespaces, and the demo test uses fixed names.
	$(DOTNET) test Strata.slnx -c $(CONFIGURATION) --no-build -m:1 --nologo --logger "trx" --logger "console;verbosity=normal" \
	  --results-directory $(RESULTS)

bench: build
	mkdir -p bench-results
	$(OUT)/strata bench netlink --out bench-results/netlink.json
	$(OUT)/strata bench cni --out bench-results/cni.json
	$(OUT)/strata bench apiserver --out bench-results/apiserver.json
	$(OUT)/strata bench endpoints --out bench-results/endpoints.json
	$(OUT)/strata bench pods --out bench-results/pods.json
	$(OUT)/strata bench ingress --out bench-results/ingress.json
	$(OUT)/strata bench dns --out bench-results/dns.json
	$(OUT)/strata bench proxy --out bench-results/proxy.json

clean:
	rm -rf $(OUT) $(RESULTS) bench-results
	$(DOTNET) clean Strata.slnx --nologo -v quiet
