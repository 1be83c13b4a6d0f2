# Reference solution, run as root in the box: the smallest unit that does what the task asks.
set -eu
cat > /etc/systemd/system/hello-app.service <<'UNIT'
[Service]
User=hello
EnvironmentFile=/etc/hello-app.env
ExecStart=/usr/bin/python3 /srv/hello-app/app.py
Restart=on-failure

[Install]
WantedBy=multi-user.target
UNIT
systemctl daemon-reload
systemctl enable --now hello-app
