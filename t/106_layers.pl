# The C sources are layers (docs/architecture.md "Layer order"): each file
# calls only files before it in its table there, so there is no circle.
# The order is read from that document, its one copy; the calls are read
# from the built objects (nm), not from the sources' text.  The same
# objects show the owner-context rule (docs/security.md) held: only
# owner.c takes another role's rights or sets a GUC, and only spi_util.c
# runs statements (under the fixed search_path it checks).
use strict;
use warnings;
use Test::More;

# The rows of the layer tables, `dir/file.c` in their first cell, in order
my $doc = 'docs/architecture.md';
open(my $fh, '<', $doc) or BAIL_OUT("$doc: $!");
my %layers;
while (<$fh>)
{
	push @{ $layers{$1} }, $2 if /^\| `(extension|frontend)\/(\w+)\.c` \|/;
}
close $fh;
is_deeply([ sort keys %layers ], [qw(extension frontend)], "$doc has the layers of extension/ and frontend/");

for my $dir (sort keys %layers)
{
	my @order = @{ $layers{$dir} };
	my %position = map { $order[$_] => $_ } 0 .. $#order;
	my @sources = map { m{/(\w+)\.c$} ? $1 : () } glob("$dir/*.c");
	my %is_source = map { $_ => 1 } @sources;
	is_deeply([ grep { !exists $position{$_} } @sources ], [], "$dir: every source has its place in the order");
	is_deeply([ grep { !$is_source{$_} } @order ], [], "$dir: every file of the order exists");
	is(scalar(keys %position), scalar(@order), "$dir: no file is listed twice");

	my (%defined_in, %uses);
	for my $file (@sources)
	{
		my $object = "$dir/$file.o";
		ok(-e $object, "$object is built") or next;
		for (`nm $object`)
		{
			$defined_in{$2} = $file if /^[0-9a-f]+ ([TDRB]) (\w+)$/;
			push @{ $uses{$file} }, $1 if /^\s+U (\w+)$/;
		}
	}
	my @upward;
	for my $file (sort keys %uses)
	{
		for my $symbol (@{ $uses{$file} })
		{
			my $callee = $defined_in{$symbol} // next;
			next if $callee eq $file;
			push @upward, "$file -> $callee ($symbol)" if $position{$callee} > $position{$file};
		}
	}
	is_deeply(\@upward, [], "$dir: no file calls a file above it");
}

# What only one file of the extension may call: a new role switch, or a
# statement run outside spi_util.c, fails here.
my %only_in = (
	owner => qr/^(SetUserIdAndSecContext|set_config_option\w*|NewGUCNestLevel|AtEOXact_GUC)$/,
	spi_util => qr/^(SPI_prepare\w*|SPI_execute\w*|SPI_exec|SPI_cursor_open\w*|SPI_execp)$/,
);
for my $object (glob 'extension/*.o')
{
	my ($file) = $object =~ m{/(\w+)\.o$};
	my @undefined = map { /^\s+U (\w+)$/ ? $1 : () } `nm $object`;
	for my $owner (sort keys %only_in)
	{
		next if $file eq $owner;
		is_deeply([ grep { $_ =~ $only_in{$owner} } @undefined ], [],
			"extension/$file.c leaves to $owner.c what only it does");
	}
}

done_testing();
