from hotwash.cli import main

main()
