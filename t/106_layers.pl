# The C sources read from the bottom up (README "Layout and tests"): each
# file calls only files below it in its list, so there is no circle.  The
# calls are read from the built objects (nm), not from the sources' text.
use strict;
use warnings;
use Test::More;

my %layers = (
	extension => [qw(module errors crypto email spi_util rows trust cache payload settings
		  password users throttle hooks keys jwt sessions mail mail_tokens
		  account user_sessions profile activation recovery attempt admin)],
	frontend => [qw(log proxies options mime smtp mailer pool settings response cors
		  routes janitor request server main)],
);

for my $dir (sort keys %layers)
{
	my @order = @{ $layers{$dir} };
	my %position = map { $order[$_] => $_ } 0 .. $#order;
	my @sources = map { m{/(\w+)\.c$} ? $1 : () } glob("$dir/*.c");
	is_deeply([ grep { !exists $position{$_} } @sources ], [], "$dir: every source has its place in the order");

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

done_testing();
