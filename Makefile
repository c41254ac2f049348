# Build, install and package directus-promoter.
#
#   make                      build the release binary (Swift runtime linked in statically), stripped
#   sudo make install         install what `make` built (it never builds: run make as yourself first)
#   sudo make uninstall       remove it again (the configuration and the state are kept)
#   make deb                  a Debian package of what `make` built: .build/directus-promoter_VERSION_ARCH.deb
#
# PREFIX (default /usr/local) and DESTDIR (for packaging) are honoured; BINARY installs or packages an already-built
# binary (the tests package the debug build).

PREFIX ?= /usr/local
DESTDIR ?=
SYSCONFDIR ?= /etc
BINDIR ?= $(PREFIX)/bin
UNITDIR ?= $(PREFIX)/lib/systemd/system
MANDIR ?= $(PREFIX)/share/man
BASHDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHDIR ?= $(PREFIX)/share/zsh/site-functions
FISHDIR ?= $(PREFIX)/share/fish/vendor_completions.d
BINARY ?= .build/release/directus-promoter
CONFDIR = $(DESTDIR)$(SYSCONFDIR)/directus-promoter
DEBDIR ?= .build
DEBCOMPRESS ?= xz
DEBROOT = $(DEBDIR)/deb-root

.PHONY: all build install uninstall deb check-binary

all: build

# The Swift runtime and Foundation linked in: the server needs no Swift toolchain, and the daemon maps less code.
# Symbols stripped: 176 MB unstripped, a fraction of it after.
build:
	swift build -c release --static-swift-stdlib --product directus-promoter
	strip --strip-all .build/release/directus-promoter

check-binary:
	@test -x "$(BINARY)" || { \
		echo "$(BINARY) is not built: run 'make' (as yourself, not root), then 'sudo make install'" >&2; exit 1; }

install: check-binary
	install -D -m 0755 $(BINARY) $(DESTDIR)$(BINDIR)/directus-promoter
	install -d -m 0755 $(DESTDIR)$(UNITDIR)
	sed 's#^ExecStart=/usr/local/bin/directus-promoter #ExecStart=$(BINDIR)/directus-promoter #' \
		systemd/directus-promoter.service > $(DESTDIR)$(UNITDIR)/directus-promoter.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/directus-promoter.service
	install -d -m 0755 $(CONFDIR)
	install -d -m 0700 $(CONFDIR)/credentials
	if [ -e $(CONFDIR)/config.yaml ]; then \
		echo "keeping $(CONFDIR)/config.yaml; the example is $(CONFDIR)/config.yaml.example"; \
	else \
		install -m 0644 config/directus-promoter.yaml $(CONFDIR)/config.yaml; \
	fi
	install -m 0644 config/directus-promoter.yaml $(CONFDIR)/config.yaml.example
	install -d -m 0755 $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BASHDIR) $(DESTDIR)$(ZSHDIR) $(DESTDIR)$(FISHDIR)
	$(BINARY) manual > $(DESTDIR)$(MANDIR)/man1/directus-promoter.1
	$(BINARY) --generate-completion-script bash > $(DESTDIR)$(BASHDIR)/directus-promoter
	$(BINARY) --generate-completion-script zsh > $(DESTDIR)$(ZSHDIR)/_directus-promoter
	$(BINARY) --generate-completion-script fish > $(DESTDIR)$(FISHDIR)/directus-promoter.fish
	chmod 0644 $(DESTDIR)$(MANDIR)/man1/directus-promoter.1 $(DESTDIR)$(BASHDIR)/directus-promoter \
		$(DESTDIR)$(ZSHDIR)/_directus-promoter $(DESTDIR)$(FISHDIR)/directus-promoter.fish
	@if [ -z "$(DESTDIR)" ]; then \
		echo "installed. Next: put secrets in $(SYSCONFDIR)/directus-promoter/credentials/, edit config.yaml,"; \
		echo "  directus-promoter check-config --online --config $(SYSCONFDIR)/directus-promoter/config.yaml"; \
		echo "  systemctl daemon-reload && systemctl enable --now directus-promoter"; \
	fi

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/directus-promoter $(DESTDIR)$(UNITDIR)/directus-promoter.service \
		$(DESTDIR)$(MANDIR)/man1/directus-promoter.1 $(DESTDIR)$(BASHDIR)/directus-promoter \
		$(DESTDIR)$(ZSHDIR)/_directus-promoter $(DESTDIR)$(FISHDIR)/directus-promoter.fish \
		$(CONFDIR)/config.yaml.example
	@echo "kept $(CONFDIR) (configuration, credentials) and /var/lib/directus-promoter (state)"

# A Debian package with dpkg-deb alone: /usr/bin, the unit in /lib/systemd/system, the configuration as a conffile
# (0644: it holds no secret; secrets go in /etc/directus-promoter/credentials, 0700, handed over by LoadCredential=),
# the man page, completions. The service runs as a DynamicUser with its StateDirectory, so no user is created.
deb: check-binary
	rm -rf $(DEBROOT)
	$(MAKE) --no-print-directory install DESTDIR=$(abspath $(DEBROOT)) PREFIX=/usr SYSCONFDIR=/etc \
		UNITDIR=/lib/systemd/system BINARY=$(abspath $(BINARY))
	rm -f $(DEBROOT)/etc/directus-promoter/config.yaml.example
	strip --strip-all $(DEBROOT)/usr/bin/directus-promoter
	gzip -9n $(DEBROOT)/usr/share/man/man1/directus-promoter.1
	install -d -m 0755 $(DEBROOT)/usr/share/doc/directus-promoter $(DEBROOT)/DEBIAN
	install -m 0644 README.md $(DEBROOT)/usr/share/doc/directus-promoter/README.md
	install -m 0644 config/directus-promoter.yaml $(DEBROOT)/usr/share/doc/directus-promoter/config.yaml.example
	printf '%s\n' /etc/directus-promoter/config.yaml > $(DEBROOT)/DEBIAN/conffiles
	for script in postinst prerm postrm; do install -m 0755 packaging/$$script $(DEBROOT)/DEBIAN/$$script; done
	version=$$($(BINARY) --version); arch=$$(dpkg --print-architecture); \
	depends=$$(ldd $(DEBROOT)/usr/bin/directus-promoter | awk '{print $$1}' | sed -n \
		-e 's/^libsqlite3\.so.*/libsqlite3-0/p' -e 's/^libzstd\.so.*/libzstd1/p' \
		-e 's/^libstdc++\.so.*/libstdc++6/p' -e 's/^libgcc_s\.so.*/libgcc-s1/p' -e 's/^libz\.so.*/zlib1g/p' \
		| sort -u | paste -sd, | sed 's/,/, /g'); \
	if ldd $(DEBROOT)/usr/bin/directus-promoter | grep -q libswiftCore; then \
		echo "warning: $(BINARY) needs the Swift runtime (a debug build?): build it with 'make' for a package" \
			"that installs anywhere" >&2; \
	fi; \
	size=$$(du -sk --exclude=DEBIAN $(DEBROOT) | cut -f1); \
	sed -e "s/@VERSION@/$$version/" -e "s/@ARCH@/$$arch/" -e "s/@DEPENDS@/libc6$${depends:+, $$depends}/" \
		-e "s/@SIZE@/$$size/" packaging/control > $(DEBROOT)/DEBIAN/control; \
	dpkg-deb --root-owner-group -Z$(DEBCOMPRESS) --build $(DEBROOT) $(DEBDIR)/directus-promoter_$${version}_$${arch}.deb; \
	if command -v lintian >/dev/null; then lintian --no-tag-display-limit $(DEBDIR)/directus-promoter_$${version}_$${arch}.deb || true; fi
