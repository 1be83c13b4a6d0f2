# Near miss: the reference unit, started but never enabled.
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
systemctl start hello-app
