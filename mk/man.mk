# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
#
# Man pages, generated from what they describe (tools/mkman.sh):
#   make man     $(O)/man/man3/*.3 (one per function, from the kernel-doc
#                comments of include/iopt/*.h, and iopt.3, the overview) and
#                $(O)/man/man1/iopt.1 (from the tool's own help); fails when
#                a header comment fails the kernel-doc check (tools/kdoc.awk:
#                every parameter and the return value described).
#   make install also installs them under $(MANDIR) (man1, man3); make
#                uninstall removes them.
MANDIR ?= $(PREFIX)/share/man

.PHONY: man install-man uninstall-man

$(O)/man/stamp: $(wildcard include/iopt/*.h) tools/kdoc.awk tools/mkman.sh $(O)/iopt
	sh tools/mkman.sh $(O)/man $(VERSION) $(O)/iopt $(sort $(wildcard include/iopt/*.h))
	@touch $@

man: $(O)/man/stamp

install: install-man
install-man: $(O)/man/stamp
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3
	install -m 644 $(O)/man/man1/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 $(O)/man/man3/*.3 $(DESTDIR)$(MANDIR)/man3/

uninstall: uninstall-man
uninstall-man:
	rm -f $(DESTDIR)$(MANDIR)/man1/iopt.1
	rm -f $(DESTDIR)$(MANDIR)/man3/iopt.3 $(DESTDIR)$(MANDIR)/man3/iopt_*.3
