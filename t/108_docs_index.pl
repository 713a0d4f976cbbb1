# The indexes of docs/ say what the code does: docs/routes.md has a row for
# every route of frontend/routes.c's table, naming the function its
# statement calls and files that define it; docs/settings.md has a row for
# every setting of extension/settings.c's table, with the default of its
# column and its range.  Read from the sources' text: no database needed.
use strict;
use warnings;
use Test::More;

sub slurp
{
	my ($file) = @_;
	open(my $fh, '<', $file) or BAIL_OUT("$file: $!");
	local $/;
	return <$fh>;
}

# "| a | b |" into its cells, or nothing for a line that is no table row
sub cells
{
	my ($line) = @_;
	return () unless $line =~ /^\|(.*)\|$/;
	return map { s/^\s+|\s+$//gr } split /\|/, $1;
}

# --- routes -----------------------------------------------------------

# The function an action of authoob_attempt runs (attempt.c's table)
my %action_function = slurp('extension/attempt.c') =~ /^\s*\{"(\w+)", "(authoob_\w+)", \d+,/mg;
ok(exists $action_function{login}, 'extension/attempt.c: its table of actions is read');

# Each line of the route table: "METHOD P/path" => the function it calls
my (%route_calls, @code_routes);
for my $line (split /\n/, slurp('frontend/routes.c'))
{
	next unless $line =~ /^\s*\{"([A-Z]+)",\s*"([^"]+)",/;
	my ($method, $pattern) = ($1, $2);
	# the Supabase Auth family's lines say so (GOTRUE, FAMILY_GOTRUE,
	# NOT_BUILT, AUTHENTICATED_NOT_BUILT)
	my $family = $line =~ /\b(GOTRUE\w*|FAMILY_GOTRUE|\w*NOT_BUILT)\b/ ? 'G' : 'P';
	my $query = $line =~ /"(\w+)", true,/ ? "?$1=" : '';
	my $function =
		$line =~ /\b\w*NOT_BUILT\(/ ? 'authoob_gotrue_not_built'
	  : $line =~ /CALL authoob_attempt\('(\w+)'/ ? ($action_function{$1} // "unknown action $1")
	  : $line =~ /SELECT (authoob_\w+)\(/ ? $1
	  : '—';
	my $route = "$method $family$pattern$query";
	push @code_routes, $route;
	$route_calls{$route} = $function;
}
cmp_ok(scalar(@code_routes), '>=', 40, 'frontend/routes.c: its route table is read');
is(scalar(keys %route_calls), scalar(@code_routes), 'frontend/routes.c: no route twice');

my %doc_routes;
for my $line (split /\n/, slurp('docs/routes.md'))
{
	my @cells = cells($line);
	next unless @cells == 5 && $cells[0] =~ /^[A-Z]+$/ && $cells[1] =~ /^`([^`]+)`$/;
	my $route = "$cells[0] $1";
	ok(!exists $doc_routes{$route}, "docs/routes.md: $route has one row");
	my ($function) = $cells[2] =~ /^`(authoob_\w+)`/;
	$doc_routes{$route} = { function => $function // $cells[2],
		files => [ $cells[3] =~ /`([^`]+)`/g ], tables => $cells[4] };
}
is_deeply([ grep { !$doc_routes{$_} } @code_routes ], [], 'docs/routes.md has a row for every route');
is_deeply([ grep { !exists $route_calls{$_} } sort keys %doc_routes ], [], 'docs/routes.md has no route the table lacks');

for my $route (grep { $doc_routes{$_} } @code_routes)
{
	my $row = $doc_routes{$route};
	my $function = $route_calls{$route};
	is($row->{function}, $function, "$route calls $function");
	my @missing = grep { !-f $_ } @{ $row->{files} };
	is_deeply(\@missing, [], "$route: the files named exist");
	next if $function eq '—' || @missing;

	# its SQL source defines it; a C function's symbols are in the C files named
	my @sql = grep { /\.sql$/ && slurp($_) =~ /\b(?:FUNCTION|PROCEDURE)\s+(?:\@extschema\@\.)?$function\(/ } @{ $row->{files} };
	ok(@sql, "$route: an SQL source named defines $function");
	my @symbols = map { slurp($_) =~ /MODULE_PATHNAME', '(\w+)'/g } @sql;
	my @c_files = grep { /\.c$/ } @{ $row->{files} };
	my @undefined = grep {
		my $symbol = $_;
		!grep { slurp($_) =~ /^$symbol\(PG_FUNCTION_ARGS\)/m } @c_files
	} @symbols;
	is_deeply(\@undefined, [], "$route: the C files named define $function" . (@symbols ? " (@symbols)" : ''))
	  if @symbols || @c_files;
	ok(@symbols, "$route: a C file is named only for a function in C") if @c_files;

	for my $table (grep { /^\w+$/ } split /,\s*/, $row->{tables})
	{
		ok(-f "extension/sql/tables/$table.sql" || -f "extension/sql/gotrue/$table.sql",
			"$route: the table $table has its source");
	}
}

# --- settings ---------------------------------------------------------

my @setting_defs = slurp('extension/settings.c') =~ /^\s*\{"(\w+)", (SETTING_\w+), ([\d *]+), ([\d *]+), /mg;
my %setting;
while (my ($key, $kind, $min, $max) = splice(@setting_defs, 0, 4))
{
	$setting{$key} = { kind => $kind, min => eval $min, max => eval $max };
}
cmp_ok(scalar(keys %setting), '>=', 40, 'extension/settings.c: its table of settings is read');

# each column's default in the table's source: a literal, or none
my $table_sql = slurp('extension/sql/tables/settings.sql');
for my $key (keys %setting)
{
	my ($column) = $table_sql =~ /^\s+$key (?:text|integer|boolean|bytea)\b([^\n]*)/m;
	ok(defined $column, "$key has its column in extension/sql/tables/settings.sql") or next;
	$setting{$key}{default} = $column =~ /\bDEFAULT ('[^']*'|[\w.]+)/ ? $1 =~ s/^'|'$//gr : 'none';
}

my %doc_setting;
for my $line (split /\n/, slurp('docs/settings.md'))
{
	my @cells = cells($line);
	next unless @cells == 4 && $cells[0] =~ /^`(\w+)`$/;
	ok(!exists $doc_setting{$1}, "docs/settings.md: $1 has one row");
	$doc_setting{$1} = { default => $cells[1], values => $cells[2] };
}
is_deeply([ grep { !$doc_setting{$_} } sort keys %setting ], [], 'docs/settings.md has a row for every setting');
is_deeply([ grep { !$setting{$_} } sort keys %doc_setting ], [], 'docs/settings.md has no setting settings.c lacks');

for my $key (grep { $doc_setting{$_} } sort keys %setting)
{
	my ($quoted, $bare) = $doc_setting{$key}{default} =~ /^(?:`([^`]*)`|([^\s(]+))/;
	my $doc_default = $quoted // $bare;
	is($doc_default, $setting{$key}{default}, "$key: the default is the column's");
	next unless $setting{$key}{kind} eq 'SETTING_INT';
	is($doc_setting{$key}{values}, "$setting{$key}{min} to $setting{$key}{max}",
		"$key: the range is settings.c's");
}

done_testing();
