# Install directus-promoter as a systemd service.
#
#   make                      build the release binary (Swift runtime linked in statically)
#   sudo make install         binary, unit, example config (never overwritten), completions, man page
#   sudo make uninstall       remove them again (the configuration and the state are kept)
#
# PREFIX (default /usr/local) and DESTDIR (for packaging) are honoured; BINARY installs an already-built binary.

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

.PHONY: all install uninstall

all: $(BINARY)

# The Swift runtime and Foundation linked in: the server needs no Swift toolchain, and the daemon maps less code.
.build/release/directus-promoter: FORCE
	swift build -c release --static-swift-stdlib --product directus-promoter

FORCE:

install: $(BINARY)
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
	@echo "installed. Next: put secrets in $(SYSCONFDIR)/directus-promoter/credentials/, edit config.yaml,"
	@echo "  directus-promoter check-config --online --config $(SYSCONFDIR)/directus-promoter/config.yaml"
	@echo "  systemctl daemon-reload && systemctl enable --now directus-promoter"

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/directus-promoter $(DESTDIR)$(UNITDIR)/directus-promoter.service \
		$(DESTDIR)$(MANDIR)/man1/directus-promoter.1 $(DESTDIR)$(BASHDIR)/directus-promoter \
		$(DESTDIR)$(ZSHDIR)/_directus-promoter $(DESTDIR)$(FISHDIR)/directus-promoter.fish \
		$(CONFDIR)/config.yaml.example
	@echo "kept $(CONFDIR) (configuration, credentials) and /var/lib/directus-promoter (state)"
