# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
#
# The kernel-doc comments of the installed headers (include/iopt/*.h):
# checked, or turned into man pages. POSIX awk.
#
#   awk -v mode=check -f tools/kdoc.awk include/iopt/*.h
#       one line "FILE:LINE: problem" per problem, and the count at the end
#       ("kdoc: N functions, N problems"); exit 1 when there is a problem.
#       Every function the headers declare (static inline ones included)
#       needs a comment "/** NAME() - summary" right above it, an "@param:"
#       line for each parameter and none for a parameter it lacks, and a
#       "Return:" paragraph unless it returns void.
#   awk -v mode=man -v out=DIR -v version=V -f tools/kdoc.awk include/iopt/*.h
#       DIR/NAME.3 for each function: NAME, SYNOPSIS (the header and the
#       prototype), ARGUMENTS, DESCRIPTION, RETURN VALUE, CONTEXT, SEE ALSO;
#       and DIR/list, "NAME<TAB>summary<TAB>header" per function.
#
# A comment block starts with a line "/**" and ends with "*/"; its lines
# lose their leading " * ". "@name:" starts an argument (continued by more
# indented lines), "Return:" and "Context:" start those sections, the rest
# is description. The declaration is the text after the block up to the
# first ';' or '{'.

function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }

function problem(line, msg) {
	printf "%s:%d: %s\n", FILENAME, line, msg
	nproblems++
}

# Split the declaration in decl into rtype, fname, nparams, pname[], ptext[].
function parse_decl(   s, i, c, depth, start, p, m, open) {
	s = decl
	gsub(/[ \t\n]+/, " ", s)
	sub(/^ */, "", s)
	sub(/ *[;{].*$/, "", s)
	gsub(/__attribute__ *\(\(.*\)\) */, "", s)
	open = index(s, "(")
	if (!open)
		return 0
	rtype = trim(substr(s, 1, open - 1))
	if (!match(rtype, /[A-Za-z_][A-Za-z0-9_]*$/))
		return 0
	fname = substr(rtype, RSTART, RLENGTH)
	rtype = trim(substr(rtype, 1, RSTART - 1))
	sub(/^(static )?(inline )?/, "", rtype)
	nparams = 0
	depth = 0
	start = open + 1
	for (i = open; i <= length(s); i++) {
		c = substr(s, i, 1)
		if (c == "(")
			depth++
		else if (c == ")" && --depth == 0 || c == "," && depth == 1) {
			p = trim(substr(s, start, i - start))
			start = i + 1
			if (p == "void" || p == "")
				continue
			ptext[++nparams] = p
			if (p == "...")
				pname[nparams] = "..."
			else if (match(p, /\( *\* *[A-Za-z_][A-Za-z0-9_]* *\)/)) {
				m = substr(p, RSTART, RLENGTH)
				gsub(/[()* ]/, "", m)
				pname[nparams] = m
			} else {
				m = p
				sub(/ *\[[^]]*\]$/, "", m)
				match(m, /[A-Za-z_][A-Za-z0-9_]*$/)
				pname[nparams] = substr(m, RSTART, RLENGTH)
			}
			if (c == ")")
				break
		}
	}
	return 1
}

# roff-safe text: backslashes escaped, a leading dot or quote guarded,
# "@name" set in italics as the name alone.
function roff(s,   r) {
	gsub(/\\/, "\\e", s)
	if (s ~ /^[.']/)
		s = "\\&" s
	r = ""
	while (match(s, /@[A-Za-z_][A-Za-z0-9_]*/)) {
		r = r substr(s, 1, RSTART - 1) "\\fI" substr(s, RSTART + 1, RLENGTH - 1) "\\fR"
		s = substr(s, RSTART + RLENGTH)
	}
	return r s
}

function emit_man(   f, i, k, base) {
	base = FILENAME
	sub(/^.*include\//, "", base)
	f = out "/" fname ".3"
	printf ".TH %s 3 \"\" \"iopt %s\" \"iopt manual\"\n", toupper(fname), version > f
	printf ".SH NAME\n%s \\- %s\n", fname, roff(summary) > f
	printf ".SH SYNOPSIS\n.nf\n.B #include <%s>\n.PP\n", base > f
	s = decl
	gsub(/[ \t\n]+/, " ", s)
	sub(/^ */, "", s)
	sub(/ *[;{].*$/, "", s)
	printf "%s;\n.fi\n", roff(s) > f
	if (nargs) {
		printf ".SH ARGUMENTS\n" > f
		for (k = 1; k <= nargs; k++)
			printf ".TP\n.I %s\n%s\n", argname[k], roff(argtext[k]) > f
	}
	if (desc != "")
		printf ".SH DESCRIPTION\n%s\n", desc > f
	if (ret != "")
		printf ".SH RETURN VALUE\n%s\n", ret > f
	if (ctx != "")
		printf ".SH CONTEXT\n%s\n", ctx > f
	printf ".SH SEE ALSO\n.BR iopt (3)\n" > f
	close(f)
	printf "%s\t%s\t%s\n", fname, roff(summary), base > (out "/list")
}

# One paragraph line into the section being read.
function add(sec, t) {
	if (sec == "desc")
		desc = desc (t == "" ? "\n.PP" : (desc == "" ? "" : "\n") roff(t))
	else if (sec == "ret")
		ret = ret (ret == "" ? "" : "\n") roff(t)
	else if (sec == "ctx")
		ctx = ctx (ctx == "" ? "" : "\n") roff(t)
	else
		argtext[nargs] = argtext[nargs] " " t
}

function check_block(   i, k, found) {
	if (!parse_decl()) {
		problem(bline, "\"" bname "()\" is not followed by a function declaration")
		return
	}
	nfuncs++
	documented[fname] = 1
	if (fname != bname)
		problem(bline, "the comment names " bname "() but documents " fname "()")
	for (i = 1; i <= nparams; i++) {
		found = 0
		for (k = 1; k <= nargs; k++)
			if (argname[k] == pname[i])
				found = 1
		if (!found && pname[i] != "...")
			problem(bline, fname "(): parameter @" pname[i] " is not described")
	}
	for (k = 1; k <= nargs; k++) {
		found = 0
		for (i = 1; i <= nparams; i++)
			if (argname[k] == pname[i])
				found = 1
		if (!found)
			problem(bline, fname "(): @" argname[k] " is not a parameter")
		if (trim(argtext[k]) == "")
			problem(bline, fname "(): @" argname[k] " has no description")
	}
	if (rtype != "void" && ret == "")
		problem(bline, fname "(): no Return: section")
	if (mode == "man")
		emit_man()
}

FNR == 1 { inblock = 0; indecl = 0; depth = 0; stmt = ""; cpp = 0 }

function count_braces(s,   n) {
	n = gsub(/\{/, "{", s); depth += n
	n = gsub(/\}/, "}", s); depth -= n
	if (depth < 0)
		depth = 0
}

# A function declared without a comment of its own (checked at the end of
# its statement: the first identifier before '(' at depth 0).
function plain_decl(s,   m) {
	gsub(/[ \t\n]+/, " ", s)
	if (s ~ /^ *typedef / || s ~ /^ *#/ || s ~ /\( *\*/ && s !~ /^[^(]*[A-Za-z0-9_] *\(/)
		return
	if (match(s, /^[^(=]*[A-Za-z_][A-Za-z0-9_]* *\(/)) {
		m = substr(s, RSTART, RLENGTH)
		sub(/ *\($/, "", m)
		match(m, /[A-Za-z_][A-Za-z0-9_]*$/)
		m = substr(m, RSTART, RLENGTH)
		declared[m] = FILENAME ":" FNR
	}
}

{
	line = $0
	if (inblock) {
		if (line ~ /\*\//) {
			inblock = 0
			indecl = 1
			decl = ""
			next
		}
		t = line
		sub(/^[ \t]*\* ?/, "", t)
		if (t ~ /^[ \t]*\*[ \t]*$/ || trim(t) == "*")
			t = ""
		if (first) {
			first = 0
			if (match(t, /^[A-Za-z_][A-Za-z0-9_]*\(\) +- +/)) {
				bname = t
				sub(/\(\).*$/, "", bname)
				summary = trim(substr(t, RLENGTH + 1))
				isfunc = 1
			} else {
				isfunc = 0
			}
			next
		}
		if (match(t, /^@[A-Za-z_][A-Za-z0-9_.]*:/)) {
			nargs++
			argname[nargs] = substr(t, 2, RLENGTH - 2)
			argtext[nargs] = trim(substr(t, RLENGTH + 1))
			sec = "arg"
			next
		}
		if (t ~ /^Return:/) {
			sec = "ret"
			t = trim(substr(t, 8))
			if (t == "")
				t = " "
		} else if (t ~ /^Context:/) {
			sec = "ctx"
			t = trim(substr(t, 9))
		} else if (sec == "arg" && t ~ /^[ \t]/) {
			argtext[nargs] = argtext[nargs] " " trim(t)
			next
		} else if (sec == "arg" || (sec == "" && t != "")) {
			sec = t == "" ? "" : "desc"
		}
		if (sec == "" && t == "")
			next
		add(sec == "" ? "desc" : sec, trim(t))
		next
	}
	if (line ~ /^\/\*\*/ && line !~ /\*\//) {
		inblock = 1
		first = 1
		bline = FNR
		nargs = 0
		desc = ret = ctx = sec = ""
		split("", argname)
		split("", argtext)
		next
	}
	if (indecl) {
		decl = decl " " line
		count_braces(line)
		if (line ~ /[;{]/) {
			indecl = 0
			if (isfunc)
				check_block()
		}
		next
	}
	# Outside comments: collect top-level function declarations (C++-only
	# blocks, extern "C" { }, left out).
	if (line ~ /^[ \t]*#[ \t]*if(def)?[ \t]+(defined[ (]*)?__cplusplus/) {
		cpp = 1
		next
	}
	if (cpp) {
		if (line ~ /^[ \t]*#[ \t]*endif/)
			cpp = 0
		next
	}
	s = line
	sub(/\/\*.*$/, "", s)
	sub(/\/\/.*$/, "", s)
	if (s ~ /^[ \t]*#/ || s ~ /^[ \t]*\*/ || s ~ /^[ \t]*\/\*/)
		next
	if (depth == 0 && s ~ /[A-Za-z_]/) {
		stmt = stmt " " s
		if (s ~ /[;{]/) {
			plain_decl(stmt)
			stmt = ""
		}
	}
	count_braces(s)
}

END {
	for (f in declared)
		if (!(f in documented)) {
			printf "%s: %s() has no kernel-doc comment\n", declared[f], f
			nproblems++
		}
	if (mode == "check")
		printf "kdoc: %d functions, %d problems\n", nfuncs, nproblems
	exit nproblems > 0
}
