module example.com/dozhim/samples

go 1.19
