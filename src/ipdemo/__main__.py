from ipdemo.cli import main

main()
